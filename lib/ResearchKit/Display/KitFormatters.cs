using System.Runtime.CompilerServices;
using Microsoft.DotNet.Interactive.Formatting;

namespace ResearchKit.Display;

/// <summary>
/// The kernel formatters the kit registers explicitly (types it cannot annotate with <c>[TypeFormatterSource]</c>):
/// Plotly.NET charts (<see cref="ChartDisplay"/>). Engine tensors need none: the kernel shows their <c>ToString</c>,
/// as PyTorch prints them (<c>tensor([2, 4, 6], shape=(3,))</c>).
/// </summary>
public static class KitFormatters
{
    /// <summary>
    /// Registers them with <c>Microsoft.DotNet.Interactive.Formatting</c>. Runs when the kit loads; a host that
    /// resets the formatters (<c>Formatter.ResetToDefault</c>, as the headless runner does per notebook) calls it
    /// again. Later registrations win, so calling it twice is harmless.
    /// </summary>
    public static void Register()
    {
        ChartDisplay.RegisterFormatters();
    }

    // A library module initializer on purpose: the kernel gives #r'd assemblies no other hook (CA2255).
#pragma warning disable CA2255
    [ModuleInitializer]
    internal static void RegisterOnLoad() => Register();
#pragma warning restore CA2255
}
