namespace Proxy.Istio.Loading;

/// <summary>Collects every error and warning of one build (YARP ConfigValidator style: report all, never stop early).</summary>
internal sealed class Diagnostics
{
    private readonly List<ConfigError> _errors = [];
    private readonly List<ConfigError> _warnings = [];

    public IReadOnlyList<ConfigError> Errors => _errors;

    public IReadOnlyList<ConfigError> Warnings => _warnings;

    public void Error(ConfigError error) => _errors.Add(error);

    public void Error(SourceLocation at, string fieldPath, string message) =>
        _errors.Add(new ConfigError(at.File, at.DocumentIndex, at.ObjectRef, fieldPath, message));

    public void Warning(SourceLocation at, string fieldPath, string message) =>
        _warnings.Add(new ConfigError(at.File, at.DocumentIndex, at.ObjectRef, fieldPath, message));
}
