using ResearchKit.Data;

namespace ResearchKit.Tests.Models;

/// <summary>
/// A tiny MNIST-like grayscale dataset for segmentation tests: on a dark background, one bright stroke (a horizontal,
/// vertical or diagonal bar of value 200–255) and a dim patch (60–120, below the 0.5 foreground threshold).
/// </summary>
internal static class SyntheticShapes
{
    public static ImageDataset Dataset(int count, int side, int seed)
    {
        var rng = new Random(seed);
        var px = new byte[count * side * side];
        for (int i = 0; i < count; i++)
        {
            var img = px.AsSpan(i * side * side, side * side);
            int kind = rng.Next(3), len = rng.Next(side / 2, side - 1), r0 = rng.Next(1, side - 2), c0 = rng.Next(1, side - len);
            byte bright = (byte)rng.Next(200, 256), dim = (byte)rng.Next(60, 121);
            for (int k = 0; k < len; k++)
            {
                (int r, int c) = kind switch { 0 => (r0, c0 + k), 1 => (c0 + k, r0), _ => (c0 + k, Math.Min(side - 1, c0 + k)) };
                img[r * side + c] = bright;
                if (c + 1 < side) img[r * side + c + 1] = bright; // two pixels thick
            }
            int pr = rng.Next(side - 3), pc = rng.Next(side - 3);
            for (int r = pr; r < pr + 3; r++)
                for (int c = pc; c < pc + 3; c++)
                    if (img[r * side + c] == 0) img[r * side + c] = dim;
        }
        return new ImageDataset("synthetic shapes", px, new int[count], 1, side, side, ["shape"]);
    }
}
