# BinaryPopcount8: the AVX512_VPOPCNTDQ inner loop of BinaryDirectConv (see BinaryPopcountKernel.cs).
# For each block of 8 output channels j: out[j] = sum_t 2^t sum_i popcount(xs[t][i] AND w[block][i][j]), eight pixels per lane.
# One argument, a pointer to the arguments (System V: rdi, moved into rcx; Win64: rcx, the first 3 bytes skipped):
#   [rcx+0] xs, [rcx+8] weights, [rcx+16] out (int32), [rcx+24] outStride (bytes between output channels), [rcx+32] blocks (>= 1),
#   [rcx+40] segBytes = perPlane*64 (> 0; also the bytes of one block's weights), [rcx+48] planes (>= 1), [rcx+56] xs of the last plane.
# Only registers that are volatile in both ABIs: rax, rcx, rdx, r8-r11, zmm0-zmm5, zmm16-zmm31.
# Accumulator of channel j: zmm(16+j); its temporary: zmm1-4 and zmm24-27.
.intel_syntax noprefix
.text
# Temporary t = xs vector AND the broadcast weight of channel j.
.macro and_bcast j, t
    vpandq zmm\t, zmm0, qword ptr [rdx+r10+8*\j]{1to8}
.endm
    mov rcx, rdi
    mov r8, [rcx+16]
    mov rdx, [rcx+8]
    mov r9, [rcx+32]
.Lblock:
    .irp a, 16, 17, 18, 19, 20, 21, 22, 23
    vpxorq zmm\a, zmm\a, zmm\a
    .endr
    mov r11, [rcx+48]
    mov rax, [rcx+56]
.Lplane:
    # Horner over the planes, last first: total = 2*total + count of this plane
    .irp a, 16, 17, 18, 19, 20, 21, 22, 23
    vpaddq zmm\a, zmm\a, zmm\a
    .endr
    xor r10, r10
.Li:
    vmovdqu64 zmm0, [rax+r10]
    .irp jt, "0,1", "1,2", "2,3", "3,4", "4,24", "5,25", "6,26", "7,27"
    and_bcast \jt
    .endr
    .irp t, 1, 2, 3, 4, 24, 25, 26, 27
    vpopcntq zmm\t, zmm\t
    .endr
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
    .irp a, 16, 17, 18, 19, 20, 21, 22, 23
    vpmovqd ymmword ptr [r8], zmm\a
    add r8, r10
    .endr
    add rdx, [rcx+40]
    dec r9
    jnz .Lblock
    vzeroupper
    ret
