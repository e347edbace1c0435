using Proxy.Engine.Config;

namespace Proxy.Istio;

/// <summary>The outcome of building Istio YAML into an engine configuration.</summary>
public sealed class IstioBuildResult
{
    public IstioBuildResult(ProxyConfig? config, IReadOnlyList<ConfigError> errors, IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(warnings);
        Config = errors.Count == 0 ? config : null;
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>The compiled configuration; null whenever there is any error.</summary>
    public ProxyConfig? Config { get; }

    /// <summary>Every error found, in source order (reading, then each document, then cross-object references).</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    /// <summary>Things accepted but not (yet) acted on, in the same <c>file[i] Kind ns/name: field: message</c> form.</summary>
    public IReadOnlyList<string> Warnings { get; }

    public bool IsValid => Errors.Count == 0;
}
