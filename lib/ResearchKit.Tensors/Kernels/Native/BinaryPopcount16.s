# BinaryPopcount16: BinaryPopcount8 for sixteen pixels (two vectors per step), so each output channel's sums are one
# 64-byte store instead of two halves written by two calls (see BinaryPopcountKernel.cs).
# Same arguments as BinaryPopcount8, except that xs holds two vectors per step (pixels 0-7, then 8-15): a plane's vectors
# span 2*segBytes, and [rcx+56] is the last plane's first vector.
# Only registers that are volatile in both ABIs: rax, rcx, rdx, r8-r11, zmm0-zmm5, zmm16-zmm31.
.intel_syntax noprefix
.text
    mov rcx, rdi
    mov r8, [rcx+16]
    mov rdx, [rcx+8]
    mov r9, [rcx+32]
.Lblock:
    vpxorq zmm16, zmm16, zmm16
    vpxorq zmm17, zmm17, zmm17
    vpxorq zmm18, zmm18, zmm18
    vpxorq zmm19, zmm19, zmm19
    vpxorq zmm20, zmm20, zmm20
    vpxorq zmm21, zmm21, zmm21
    vpxorq zmm22, zmm22, zmm22
    vpxorq zmm23, zmm23, zmm23
    vpxorq zmm24, zmm24, zmm24
    vpxorq zmm25, zmm25, zmm25
    vpxorq zmm26, zmm26, zmm26
    vpxorq zmm27, zmm27, zmm27
    vpxorq zmm28, zmm28, zmm28
    vpxorq zmm29, zmm29, zmm29
    vpxorq zmm30, zmm30, zmm30
    vpxorq zmm31, zmm31, zmm31
    mov r11, [rcx+48]
    mov rax, [rcx+56]
.Lplane:
    # Horner over the planes, last first: total = 2*total + count of this plane
    vpaddq zmm16, zmm16, zmm16
    vpaddq zmm17, zmm17, zmm17
    vpaddq zmm18, zmm18, zmm18
    vpaddq zmm19, zmm19, zmm19
    vpaddq zmm20, zmm20, zmm20
    vpaddq zmm21, zmm21, zmm21
    vpaddq zmm22, zmm22, zmm22
    vpaddq zmm23, zmm23, zmm23
    vpaddq zmm24, zmm24, zmm24
    vpaddq zmm25, zmm25, zmm25
    vpaddq zmm26, zmm26, zmm26
    vpaddq zmm27, zmm27, zmm27
    vpaddq zmm28, zmm28, zmm28
    vpaddq zmm29, zmm29, zmm29
    vpaddq zmm30, zmm30, zmm30
    vpaddq zmm31, zmm31, zmm31
    xor r10, r10
.Li:
    vmovdqu64 zmm0, [rax+r10*2]
    vmovdqu64 zmm1, [rax+r10*2+64]
    vpbroadcastq zmm2, qword ptr [rdx+r10+0]
    vpandq zmm3, zmm0, zmm2
    vpandq zmm4, zmm1, zmm2
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm16, zmm16, zmm3
    vpaddq zmm24, zmm24, zmm4
    vpbroadcastq zmm5, qword ptr [rdx+r10+8]
    vpandq zmm3, zmm0, zmm5
    vpandq zmm4, zmm1, zmm5
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm17, zmm17, zmm3
    vpaddq zmm25, zmm25, zmm4
    vpbroadcastq zmm2, qword ptr [rdx+r10+16]
    vpandq zmm3, zmm0, zmm2
    vpandq zmm4, zmm1, zmm2
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm18, zmm18, zmm3
    vpaddq zmm26, zmm26, zmm4
    vpbroadcastq zmm5, qword ptr [rdx+r10+24]
    vpandq zmm3, zmm0, zmm5
    vpandq zmm4, zmm1, zmm5
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm19, zmm19, zmm3
    vpaddq zmm27, zmm27, zmm4
    vpbroadcastq zmm2, qword ptr [rdx+r10+32]
    vpandq zmm3, zmm0, zmm2
    vpandq zmm4, zmm1, zmm2
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm20, zmm20, zmm3
    vpaddq zmm28, zmm28, zmm4
    vpbroadcastq zmm5, qword ptr [rdx+r10+40]
    vpandq zmm3, zmm0, zmm5
    vpandq zmm4, zmm1, zmm5
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm21, zmm21, zmm3
    vpaddq zmm29, zmm29, zmm4
    vpbroadcastq zmm2, qword ptr [rdx+r10+48]
    vpandq zmm3, zmm0, zmm2
    vpandq zmm4, zmm1, zmm2
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm22, zmm22, zmm3
    vpaddq zmm30, zmm30, zmm4
    vpbroadcastq zmm5, qword ptr [rdx+r10+56]
    vpandq zmm3, zmm0, zmm5
    vpandq zmm4, zmm1, zmm5
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpaddq zmm23, zmm23, zmm3
    vpaddq zmm31, zmm31, zmm4
    add r10, 64
    cmp r10, [rcx+40]
    jb .Li
    mov r10, [rcx+40]
    sub rax, r10
    sub rax, r10
    dec r11
    jnz .Lplane
    mov r10, [rcx+24]
    vpmovqd ymmword ptr [r8], zmm16
    vpmovqd ymmword ptr [r8+32], zmm24
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm17
    vpmovqd ymmword ptr [r8+32], zmm25
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm18
    vpmovqd ymmword ptr [r8+32], zmm26
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm19
    vpmovqd ymmword ptr [r8+32], zmm27
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm20
    vpmovqd ymmword ptr [r8+32], zmm28
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm21
    vpmovqd ymmword ptr [r8+32], zmm29
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm22
    vpmovqd ymmword ptr [r8+32], zmm30
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm23
    vpmovqd ymmword ptr [r8+32], zmm31
    add r8, r10
    add rdx, [rcx+40]
    dec r9
    jnz .Lblock
    vzeroupper
    ret
