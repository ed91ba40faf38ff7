# BinaryPopcount16: BinaryPopcount8 for sixteen pixels (two vectors per step), so each output channel's sums are one
# 64-byte store instead of two halves written by two calls (see BinaryPopcountKernel.cs).
# Same arguments as BinaryPopcount8, except that xs holds two vectors per step (pixels 0-7, then 8-15): a plane's vectors
# span 2*segBytes, and [rcx+56] is the last plane's first vector.
# Only registers that are volatile in both ABIs: rax, rcx, rdx, r8-r11, zmm0-zmm5, zmm16-zmm31.
# Channel j's accumulators: zmm(16+j) for pixels 0-7, zmm(24+j) for pixels 8-15.
.intel_syntax noprefix
.text

# Channel j: broadcast its weight into b, AND it with both vectors (zmm0, zmm1), count, add to lo and hi.
.macro count j, b, lo, hi
    vpbroadcastq zmm\b, qword ptr [rdx+r10+8*\j]
    vpandq zmm3, zmm0, zmm\b
    vpandq zmm4, zmm1, zmm\b
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm\lo, zmm\lo, zmm3
    vpaddq zmm\hi, zmm\hi, zmm4
.endm

# A channel's sixteen sums (accumulators lo, hi) as int32: one 64-byte store, then the next channel.
.macro store lo, hi
    vpmovqd ymmword ptr [r8], zmm\lo
    vpmovqd ymmword ptr [r8+32], zmm\hi
    add r8, r10
.endm

    mov rcx, rdi
    mov r8, [rcx+16]
    mov rdx, [rcx+8]
    mov r9, [rcx+32]
.Lblock:
    .irp a, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    vpxorq zmm\a, zmm\a, zmm\a
    .endr
    mov r11, [rcx+48]
    mov rax, [rcx+56]
.Lplane:
    # Horner over the planes, last first: total = 2*total + count of this plane
    .irp a, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    vpaddq zmm\a, zmm\a, zmm\a
    .endr
    xor r10, r10
.Li:
    vmovdqu64 zmm0, [rax+r10*2]
    vmovdqu64 zmm1, [rax+r10*2+64]
    count 0, 2, 16, 24
    count 1, 5, 17, 25
    count 2, 2, 18, 26
    count 3, 5, 19, 27
    count 4, 2, 20, 28
    count 5, 5, 21, 29
    count 6, 2, 22, 30
    count 7, 5, 23, 31
    add r10, 64
    cmp r10, [rcx+40]
    jb .Li
    mov r10, [rcx+40]
    sub rax, r10
    sub rax, r10
    dec r11
    jnz .Lplane
    mov r10, [rcx+24]
    .irp lohi, "16,24", "17,25", "18,26", "19,27", "20,28", "21,29", "22,30", "23,31"
    store \lohi
    .endr
    add rdx, [rcx+40]
    dec r9
    jnz .Lblock
    vzeroupper
    ret
