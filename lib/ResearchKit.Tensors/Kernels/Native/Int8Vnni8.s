# Int8Vnni8: Int8Vnni12.s for 8 pixels per tile (rows of 8 to 11 pixels, e.g. a ResNet's last stage at 8x8): the same
# arguments and registers, the tile 8*16 int32.
.set PIXELS, 8
.include "Int8Vnni.inc"
