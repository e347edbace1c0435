using System.Text.RegularExpressions;

namespace Proxy.Istio.Model;

/// <summary>A VirtualService. <see cref="Hosts"/> are qualified and lower-case; <see cref="Gateways"/> excludes <c>mesh</c>.</summary>
internal sealed record VirtualServiceConfig(
    IstioObjectMeta Meta,
    IReadOnlyList<string> Hosts,
    IReadOnlyList<GatewayRef> Gateways,
    IReadOnlyList<HttpRouteConfig> Http);

/// <summary>A reference to a Gateway by namespace and name.</summary>
internal sealed record GatewayRef(string Namespace, string Name)
{
    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>One <c>spec.http[Index]</c> route. Empty <c>Matches</c> match every request; empty <c>Destinations</c>
/// means the route only redirects or answers directly (not supported yet).</summary>
internal sealed record HttpRouteConfig(int Index, string? Name, IReadOnlyList<HttpMatchConfig> Matches, IReadOnlyList<RouteDestinationConfig> Destinations);

internal sealed record HttpMatchConfig(
    int Index,
    StringMatchConfig? Uri,
    bool IgnoreUriCase,
    StringMatchConfig? Scheme,
    StringMatchConfig? Method,
    StringMatchConfig? Authority,
    IReadOnlyList<KeyValueMatchConfig> Headers,
    IReadOnlyList<KeyValueMatchConfig> WithoutHeaders,
    IReadOnlyList<KeyValueMatchConfig> QueryParams,
    int? Port,
    IReadOnlyList<GatewayRef>? Gateways,
    IReadOnlyDictionary<string, string>? SourceLabels,
    string? SourceNamespace)
{
    /// <summary>Istio's isCatchAllMatch: only <c>uri: {prefix: /}</c> (or regex <c>.*</c>) and nothing else.</summary>
    public bool IsCatchAll =>
        Uri is { Kind: StringMatchKind.Prefix, Value: "/" } or { Kind: StringMatchKind.Regex, Value: ".*" } &&
        Scheme is null && Method is null && Authority is null && Headers.Count == 0 && WithoutHeaders.Count == 0 &&
        QueryParams.Count == 0 && Port is null && Gateways is null && SourceLabels is null && SourceNamespace is null;
}

internal enum StringMatchKind
{
    Exact,
    Prefix,
    Regex,
}

/// <summary>Istio StringMatch; <see cref="Regex"/> is the compiled full-match regex when <see cref="Kind"/> is Regex.</summary>
internal sealed record StringMatchConfig(StringMatchKind Kind, string Value, Regex? Regex);

/// <summary>A header or query parameter condition; a null <see cref="Match"/> means presence only.</summary>
internal sealed record KeyValueMatchConfig(string Name, StringMatchConfig? Match);

internal sealed record RouteDestinationConfig(int Index, string Host, string? Subset, int? Port, int? Weight);
