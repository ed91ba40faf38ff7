namespace ResearchKit.Data;

/// <summary>Images read from an IDX file: <paramref name="Count"/> × <paramref name="Rows"/> × <paramref name="Columns"/> bytes.</summary>
/// <param name="Pixels">Row-major pixel bytes, image after image.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Image height.</param>
/// <param name="Columns">Image width.</param>
public sealed record IdxImages(byte[] Pixels, int Count, int Rows, int Columns);
