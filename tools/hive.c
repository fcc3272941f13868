/* The hive command line: one subcommand per cmd_*.c. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "hive: under construction\n");
	return 1;
}
