namespace ResearchKit.Data;

/// <summary>
/// Turns a grayscale classification dataset (MNIST, Fashion-MNIST) into a binary foreground-segmentation task: the
/// stand-in this kit uses for the Airbus Ship Detection segmentation of the Thin U-Net 32 paper (Gernigon et al. 2023),
/// whose satellite tiles are not available here. It is a much easier task and its numbers are not comparable.
/// </summary>
/// <remarks>
/// Construction of image i (every random draw from a generator seeded by <see cref="SeedMix.Mix"/>(seed, 11, i, 0), so
/// an image does not depend on the others, on subsets or on order):
/// <list type="number">
/// <item>clean c = pixel/255, centred on a Size × Size zero canvas (the source must fit);</item>
/// <item>mask = [c &gt; Threshold] (the object's bright strokes, like a ship's hull on water);</item>
/// <item>clutter: Blobs Gaussian blobs a·exp(−‖p − centre‖²/(2σ²)) with centre uniform over the canvas, a uniform in
/// [BlobAmplitudeMin, BlobAmplitudeMax], σ uniform in [BlobSigmaMin, BlobSigmaMax]; then, when
/// <see cref="ForegroundSegmentationOptions.Distractors"/> &gt; 0, that many fragments: a source image j uniform over the
/// source (j ≠ i when the source has more than one image), a DistractorPatch-sided square of it at a uniform position,
/// times a contrast uniform in [DistractorContrastMin, DistractorContrastMax], added at a uniform position of the canvas;
/// then per-pixel N(0, NoiseStd²) noise (with no distractor the draws, hence the images, are those of the plain task);</item>
/// <item>input = clamp(c + blobs + noise, 0, 1).</item>
/// </list>
/// With distractors, image i depends on the source's other images (which ones a draw picks depends on the source's size).
/// Blobs and noise cross the threshold, so thresholding the input is wrong wherever clutter is bright: the network has
/// to tell thin strokes from smooth blobs and speckle, the role wakes, clouds and glint play for ships.
/// </remarks>
public static class ForegroundSegmentation
{
    /// <summary>Stream tag of the clutter in <see cref="SeedMix.Mix"/> (distinct from the loaders' shuffle/augment streams).</summary>
    public const long ClutterStream = 11;

    /// <summary>Builds the segmentation dataset from every image of <paramref name="source"/>.</summary>
    /// <param name="source">A single-channel image dataset (e.g. <c>Datasets.FashionMnist(train: false).Take(512)</c>).</param>
    /// <param name="options">Canvas, threshold and clutter settings (default <see cref="ForegroundSegmentationOptions"/>()).</param>
    /// <exception cref="ArgumentException">The source has more than one channel or does not fit the canvas, or an option is out of range.</exception>
    public static SegmentationDataset Build(ImageDataset source, ForegroundSegmentationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var o = (options ?? new ForegroundSegmentationOptions()).Validated();
        if (source.Channels != 1)
            throw new ArgumentException($"ForegroundSegmentation: '{source.Name}' has {source.Channels} channels; the task is defined on grayscale images (MNIST, Fashion-MNIST).", nameof(source));
        if (source.Height > o.Size || source.Width > o.Size)
            throw new ArgumentException($"ForegroundSegmentation: '{source.Name}' images are {source.Height}×{source.Width}, larger than the {o.Size}×{o.Size} canvas; raise Size.", nameof(source));
        if (o.Distractors > 0 && (o.DistractorPatch > source.Height || o.DistractorPatch > source.Width))
            throw new ArgumentException($"ForegroundSegmentation: DistractorPatch {o.DistractorPatch} exceeds '{source.Name}' images ({source.Height}×{source.Width}); use a smaller patch.", nameof(options));
        int s = o.Size, plane = s * s, n = source.Count;
        int top = (s - source.Height) / 2, left = (s - source.Width) / 2;
        var inputs = new float[n * plane];
        var masks = new float[n * plane];
        var clutter = new double[plane];
        for (int i = 0; i < n; i++)
        {
            var g = new ResearchKit.Tensors.Generator((long)SeedMix.Mix(o.Seed, ClutterStream, i, 0));
            Clutter(g, o, clutter, source, i);
            var img = source.Image(i);
            var x = inputs.AsSpan(i * plane, plane);
            var m = masks.AsSpan(i * plane, plane);
            for (int p = 0; p < plane; p++)
            {
                int r = p / s - top, c = p % s - left;
                double clean = r >= 0 && r < source.Height && c >= 0 && c < source.Width ? img[r * source.Width + c] / 255.0 : 0.0;
                m[p] = clean > o.Threshold ? 1f : 0f;
                x[p] = (float)Math.Clamp(clean + clutter[p], 0.0, 1.0);
            }
        }
        return new SegmentationDataset($"{source.Name} foreground segmentation (stand-in for Airbus Ship Detection)", inputs, masks, n, s, s);
    }

    // Blobs, then noise, in a fixed draw order, so a seed fixes the clutter of an image.
    private static void Clutter(ResearchKit.Tensors.Generator g, ForegroundSegmentationOptions o, double[] field, ImageDataset source, int self)
    {
        int s = o.Size;
        Array.Clear(field);
        for (int b = 0; b < o.Blobs; b++)
        {
            double cy = g.NextDouble() * s, cx = g.NextDouble() * s;
            double a = o.BlobAmplitudeMin + g.NextDouble() * (o.BlobAmplitudeMax - o.BlobAmplitudeMin);
            double sigma = o.BlobSigmaMin + g.NextDouble() * (o.BlobSigmaMax - o.BlobSigmaMin);
            double inv = 1.0 / (2 * sigma * sigma);
            for (int p = 0; p < field.Length; p++)
            {
                double dy = p / s + 0.5 - cy, dx = p % s + 0.5 - cx;
                field[p] += a * Math.Exp(-(dy * dy + dx * dx) * inv);
            }
        }
        int n = source.Count, ps = o.DistractorPatch;
        for (int d = 0; d < o.Distractors; d++)
        {
            int j = n == 1 ? 0 : (int)g.NextInt64(0, n - 1);
            if (n > 1 && j >= self) j++;   // uniform over the other images
            int sr = (int)g.NextInt64(0, source.Height - ps + 1), sc = (int)g.NextInt64(0, source.Width - ps + 1);
            int dr = (int)g.NextInt64(0, s - ps + 1), dc = (int)g.NextInt64(0, s - ps + 1);
            double contrast = o.DistractorContrastMin + g.NextDouble() * (o.DistractorContrastMax - o.DistractorContrastMin);
            var img = source.Image(j);
            for (int r = 0; r < ps; r++)
                for (int c = 0; c < ps; c++)
                    field[(dr + r) * s + dc + c] += contrast * img[(sr + r) * source.Width + sc + c] / 255.0;
        }
        if (o.NoiseStd > 0)
            for (int p = 0; p < field.Length; p++) field[p] += o.NoiseStd * g.NextNormal();
    }
}
