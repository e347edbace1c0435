using System.Security.Cryptography;
using System.Text;
using Proxy.Engine.Config;
using Proxy.Istio.Compilation;
using Proxy.Istio.Loading;
using Proxy.Istio.Parsing;

namespace Proxy.Istio;

/// <summary>
/// Builds Istio YAML (Gateway, VirtualService, DestinationRule, ServiceEntry) into the engine's immutable
/// <see cref="ProxyConfig"/>: YAML -> config records -> validation -> compiled route tables. Every error is reported
/// at once; the result has a config only when there are none.
/// </summary>
public static class IstioConfigBuilder
{
    /// <summary>Builds from files read by <see cref="IstioSources.Read"/>; their read errors are included.</summary>
    public static IstioBuildResult Build(IstioSourceSet sources, IstioBuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Build(sources.Sources, sources.Errors, options);
    }

    /// <summary>Builds from YAML texts (e.g. embedded or generated configuration).</summary>
    public static IstioBuildResult Build(IEnumerable<IstioSource> sources, IstioBuildOptions options) =>
        Build(sources, [], options);

    private static IstioBuildResult Build(IEnumerable<IstioSource> sources, IReadOnlyList<ConfigError> readErrors, IstioBuildOptions options)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(options);
        var diagnostics = new Diagnostics();
        foreach (var error in readErrors)
        {
            diagnostics.Error(error);
        }

        var list = sources.ToList();
        var documents = new List<ParsedDocument>();
        foreach (var source in list)
        {
            ArgumentNullException.ThrowIfNull(source);
            documents.AddRange(YamlDocumentReader.Read(source, diagnostics));
        }

        var parsed = IstioObjectParser.Parse(documents, diagnostics);
        var (listeners, clusters) = new IstioCompiler(parsed, options, diagnostics).Compile();
        var warnings = diagnostics.Warnings.Select(static w => w.ToString()).ToList();
        if (diagnostics.Errors.Count > 0)
        {
            return new IstioBuildResult(null, [.. diagnostics.Errors], warnings);
        }

        var config = new ProxyConfig
        {
            Listeners = listeners,
            Clusters = clusters,
            Version = ContentHash(list),
        };
        return new IstioBuildResult(config, [], warnings);
    }

    /// <summary>First 12 hex digits of SHA-256 over every source's path and text, in order: changes with any edit.</summary>
    private static string ContentHash(List<IstioSource> sources)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[sizeof(int)];
        foreach (var source in sources)
        {
            foreach (var part in (ReadOnlySpan<string>)[source.Path, source.Text])
            {
                var bytes = Encoding.UTF8.GetBytes(part);
                BitConverter.TryWriteBytes(length, bytes.Length);
                hash.AppendData(length);
                hash.AppendData(bytes);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
    }
}
