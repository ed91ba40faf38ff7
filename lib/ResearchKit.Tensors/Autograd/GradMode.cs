namespace ResearchKit.Tensors;

/// <summary>Thread-local switch for recording operations, like <c>torch.no_grad()</c>/<c>torch.enable_grad()</c>.</summary>
public static class GradMode
{
    [ThreadStatic] private static bool _disabled;

    /// <summary>True when new operations are recorded for backward.</summary>
    public static bool IsEnabled => !_disabled;

    /// <summary>Sets the mode until the returned scope is disposed (scopes nest).</summary>
    public static Scope Set(bool enabled)
    {
        var s = new Scope(!_disabled);
        _disabled = !enabled;
        return s;
    }

    /// <summary>Restores the previous grad mode on dispose.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _previous;
        internal Scope(bool previous) { _previous = previous; }
        /// <summary>Restores the mode that was active when the scope was created.</summary>
        public void Dispose() => _disabled = !_previous;
    }
}
