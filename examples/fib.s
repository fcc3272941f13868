# fib(n) for n = the first byte of memory, iteratively (r0 = fib(n)).
# hive run examples/fib.s --mem-hex 5a   ->  fib(90)
    ldxb %r2, [%r1]
    mov %r0, 0
    mov %r3, 1
loop:
    jeq %r2, 0, exit
    mov %r4, %r0
    add %r4, %r3
    mov %r0, %r3
    mov %r3, %r4
    sub %r2, 1
    ja loop
exit:
    exit
