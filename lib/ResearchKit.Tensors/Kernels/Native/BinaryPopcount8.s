# BinaryPopcount8: the AVX512_VPOPCNTDQ inner loop of BinaryDirectConv (see BinaryPopcountKernel.cs).
# For each block of 8 output channels j: out[j] = sum_t 2^t sum_i popcount(xs[t][i] AND w[block][i][j]), eight pixels per lane.
# One argument, a pointer to the arguments (System V: rdi, moved into rcx; Win64: rcx, the first 3 bytes skipped):
#   [rcx+0] xs, [rcx+8] weights, [rcx+16] out (int32), [rcx+24] outStride (bytes between output channels), [rcx+32] blocks (>= 1),
#   [rcx+40] segBytes = perPlane*64 (> 0; also the bytes of one block's weights), [rcx+48] planes (>= 1), [rcx+56] xs of the last plane.
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
    xor r10, r10
.Li:
    vmovdqu64 zmm0, [rax+r10]
    vpandq zmm1, zmm0, qword ptr [rdx+r10+0]{1to8}
    vpandq zmm2, zmm0, qword ptr [rdx+r10+8]{1to8}
    vpandq zmm3, zmm0, qword ptr [rdx+r10+16]{1to8}
    vpandq zmm4, zmm0, qword ptr [rdx+r10+24]{1to8}
    vpandq zmm24, zmm0, qword ptr [rdx+r10+32]{1to8}
    vpandq zmm25, zmm0, qword ptr [rdx+r10+40]{1to8}
    vpandq zmm26, zmm0, qword ptr [rdx+r10+48]{1to8}
    vpandq zmm27, zmm0, qword ptr [rdx+r10+56]{1to8}
    vpopcntq zmm1, zmm1
    vpopcntq zmm2, zmm2
    vpopcntq zmm3, zmm3
    vpopcntq zmm4, zmm4
    vpopcntq zmm24, zmm24
    vpopcntq zmm25, zmm25
    vpopcntq zmm26, zmm26
    vpopcntq zmm27, zmm27
    vpaddq zmm16, zmm16, zmm1
    vpaddq zmm17, zmm17, zmm2
    vpaddq zmm18, zmm18, zmm3
    vpaddq zmm19, zmm19, zmm4
    vpaddq zmm20, zmm20, zmm24
    vpaddq zmm21, zmm21, zmm25
    vpaddq zmm22, zmm22, zmm26
    vpaddq zmm23, zmm23, zmm27
    add r10, 64
    cmp r10, [rcx+40]
    jb .Li
    sub rax, [rcx+40]
    dec r11
    jnz .Lplane
    mov r10, [rcx+24]
    vpmovqd ymmword ptr [r8], zmm16
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm17
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm18
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm19
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm20
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm21
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm22
    add r8, r10
    vpmovqd ymmword ptr [r8], zmm23
    add r8, r10
    add rdx, [rcx+40]
    dec r9
    jnz .Lblock
    vzeroupper
    ret
