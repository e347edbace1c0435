using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Loading;

/// <summary>The non-null supported fields of one mapping, with the mapping's path for building field paths.</summary>
internal sealed class Fields
{
    private readonly Dictionary<string, YamlNode> _values = new(StringComparer.Ordinal);

    public Fields(string path) => Path = path;

    public string Path { get; }

    public YamlNode? this[string key] => _values.GetValueOrDefault(key);

    public bool Has(string key) => _values.ContainsKey(key);

    public string PathOf(string key) => NodeReader.Join(Path, key);

    internal void Add(string key, YamlNode value) => _values[key] = value;
}
