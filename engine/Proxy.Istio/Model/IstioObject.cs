using Proxy.Istio.Loading;

namespace Proxy.Istio.Model;

/// <summary>What every Istio object shares: kind, name, namespace and where it was read.</summary>
internal sealed record IstioObjectMeta(string Kind, string Namespace, string Name, SourceLocation Location)
{
    public string Ref => $"{Kind} {Namespace}/{Name}";

    /// <summary>Deterministic order for merging (Istio orders by creation time, which files do not have).</summary>
    public string SortKey => Namespace + "/" + Name;
}
