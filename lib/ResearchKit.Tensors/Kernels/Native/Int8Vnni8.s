# Int8Vnni8: Int8Vnni12 for 8 pixels (rows of 8 to 11 pixels, e.g. a ResNet's last stage at 8x8), same arguments;
# Int8Vnni12's comments hold with 8 for 12.
# Int8Vnni12: Int8DirectConv's tile of 12 pixels x 16 output channels with AVX512_VNNI's 512-bit vpdpbusd (see Int8VnniKernel.cs).
# tile[k*16 + l] = sum over taps t and channel quads q of the four u8 codes of pixel k, tap t, quad q times the four s8
# weights of output channel l: one vpdpbusd per pixel and quad, the pixel's four codes broadcast to the 16 lanes.
# One argument, a pointer to the arguments (System V: rdi, moved into rcx; Win64: rcx, the first 3 bytes skipped):
#   [rcx+0] pixel 0's first byte (tap offsets are added to it), [rcx+8] bytes from one pixel to the next (constant),
#   [rcx+16] tap offsets (int32, taps of them), [rcx+24] taps (>= 1), [rcx+32] quads per tap (>= 1),
#   [rcx+40] the block's weights ([t][q][16] int32, read in that order), [rcx+48] the tile (8*16 int32).
# rbx, rsi, rdi and r12-r15 are saved (callee-saved in one ABI or both); vectors only in zmm0-5 and zmm16-31 (volatile in both).
.intel_syntax noprefix
.text

# Pixel k's four codes broadcast into zmm t, times the weights (zmm0), added to accumulator zmm a.
.macro mac a, t, addr
    vpbroadcastd zmm\t, dword ptr \addr
    vpdpbusd zmm\a, zmm\t, zmm0
.endm

# Accumulator zmm a (pixel k's 16 sums) to tile[k*16 .. k*16 + 15].
.macro store a, k
    vmovdqu32 [r14+64*\k], zmm\a
.endm

    mov rcx, rdi
    push rbx
    push rsi
    push rdi
    push r12
    push r13
    push r14
    push r15
    mov rsi, [rcx]
    mov r9, [rcx+8]
    lea r10, [r9+r9*2]
    mov rdi, [rcx+16]
    mov r12, [rcx+24]
    mov r13, [rcx+32]
    mov rdx, [rcx+40]
    mov r14, [rcx+48]
    .irp a, 16, 17, 18, 19, 20, 21, 22, 23
    vpxord zmm\a, zmm\a, zmm\a
    .endr
.Ltap:
    # Pixels 0-3 from r8, 4-7 from r11, at 0, 1, 2 and 3 pixel strides.
    movsxd rbx, dword ptr [rdi]
    lea r8, [rsi+rbx]
    lea r11, [r8+r9*4]
    mov r15, r13
.Lq:
    vmovdqu32 zmm0, [rdx]
    mac 16, 1, [r8]
    mac 17, 2, [r8+r9]
    mac 18, 3, [r8+r9*2]
    mac 19, 4, [r8+r10]
    mac 20, 5, [r11]
    mac 21, 28, [r11+r9]
    mac 22, 29, [r11+r9*2]
    mac 23, 30, [r11+r10]
    add rdx, 64
    add r8, 4
    add r11, 4
    dec r15
    jnz .Lq
    add rdi, 4
    dec r12
    jnz .Ltap
    .irp ak, "16,0", "17,1", "18,2", "19,3", "20,4", "21,5", "22,6", "23,7"
    store \ak
    .endr
    vzeroupper
    pop r15
    pop r14
    pop r13
    pop r12
    pop rdi
    pop rsi
    pop rbx
    ret
