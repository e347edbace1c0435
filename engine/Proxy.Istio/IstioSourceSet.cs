namespace Proxy.Istio;

/// <summary>The files read for one configuration, and the paths that could not be read.</summary>
public sealed class IstioSourceSet
{
    public IstioSourceSet(IReadOnlyList<IstioSource> sources, IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(errors);
        Sources = sources;
        Errors = errors;
    }

    /// <summary>The files read, in the order the paths were given (a directory's files sorted by name).</summary>
    public IReadOnlyList<IstioSource> Sources { get; }

    /// <summary>Paths that are missing or unreadable; <see cref="IstioConfigBuilder.Build(IstioSourceSet, IstioBuildOptions)"/> reports them too.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }
}
