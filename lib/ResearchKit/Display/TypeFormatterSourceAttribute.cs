namespace ResearchKit.Display;

/// <summary>
/// Names the formatter source of a displayable kit type for the Polyglot Notebooks (.NET Interactive) kernel
/// without referencing Microsoft.DotNet.Interactive: the kernel matches this attribute by its type NAME,
/// reads the public <see cref="FormatterSourceType"/> and <see cref="PreferredMimeTypes"/> properties by
/// reflection, creates the source with its public parameterless constructor and calls its public
/// <c>CreateTypeFormatters()</c>. Outside the kernel (headless runner, exports) it has no effect.
/// </summary>
/// <remarks>Internal on purpose: a public type with this name would clash with the kernel's own attribute in user code.</remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = true)]
internal sealed class TypeFormatterSourceAttribute : Attribute
{
    /// <summary>Points the kernel at <paramref name="formatterSourceType"/>.</summary>
    /// <param name="formatterSourceType">A class with a public parameterless constructor and a public
    /// <c>IEnumerable CreateTypeFormatters()</c> (e.g. <see cref="RichDisplayFormatterSource"/>).</param>
    public TypeFormatterSourceAttribute(Type formatterSourceType)
    {
        FormatterSourceType = formatterSourceType ?? throw new ArgumentNullException(nameof(formatterSourceType));
    }

    /// <summary>The formatter source class (read by the kernel through this exact property name).</summary>
    public Type FormatterSourceType { get; }

    /// <summary>MIME types the kernel should prefer for the type, best first (null: the kernel's default, HTML).</summary>
    public string[]? PreferredMimeTypes { get; set; }
}
