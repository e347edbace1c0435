using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Loading;

/// <summary>One parsed YAML document, its position in its file, and the directory relative paths in it resolve against.</summary>
internal sealed record ParsedDocument(string File, int DocumentIndex, YamlNode Root, string? BaseDirectory = null);
