# Int8Vnni12: Int8DirectConv's tile of 12 pixels x 16 output channels with AVX512_VNNI's 512-bit vpdpbusd (see Int8VnniKernel.cs).
# tile[k*16 + l] = sum over taps t and channel quads q of the four u8 codes of pixel k, tap t, quad q times the four s8
# weights of output channel l: one vpdpbusd per pixel and quad, the pixel's four codes broadcast to the 16 lanes.
# One argument, a pointer to the arguments (System V: rdi, moved into rcx; Win64: rcx, the first 3 bytes skipped):
#   [rcx+0] pixel 0's first byte (tap offsets are added to it), [rcx+8] bytes from one pixel to the next (constant),
#   [rcx+16] tap offsets (int32, taps of them), [rcx+24] taps (>= 1), [rcx+32] quads per tap (>= 1),
#   [rcx+40] the block's weights ([t][q][16] int32, read in that order), [rcx+48] the tile (12*16 int32).
# rbx, rsi, rdi and r12-r15 are saved (callee-saved in one ABI or both); vectors only in zmm0-5 and zmm16-31 (volatile in both).
.set PIXELS, 12
.include "Int8Vnni.inc"
