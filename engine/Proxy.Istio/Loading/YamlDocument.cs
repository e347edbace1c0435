using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Loading;

/// <summary>One parsed YAML document and its position in its file.</summary>
internal sealed record ParsedDocument(string File, int DocumentIndex, YamlNode Root);
