namespace Proxy.Istio.Model;

internal enum ServiceResolution
{
    None,
    Static,
    Dns,
    DnsRoundRobin,
}

/// <summary>A ServiceEntry; each of its hosts is kept as written (lower-case) and qualified.</summary>
internal sealed record ServiceEntryConfig(
    IstioObjectMeta Meta,
    IReadOnlyList<ServiceHost> Hosts,
    IReadOnlyList<ServicePortConfig> Ports,
    ServiceResolution Resolution,
    IReadOnlyList<WorkloadEntryConfig> Endpoints,
    IReadOnlyList<string> SubjectAltNames);

/// <summary>One host of a ServiceEntry: <see cref="Raw"/> as written, <see cref="Qualified"/> after short-name qualification.</summary>
internal sealed record ServiceHost(string Raw, string Qualified);

internal sealed record ServicePortConfig(int Number, string Name, string Protocol, int? TargetPort);

internal sealed record WorkloadEntryConfig(string Address, IReadOnlyDictionary<string, int> Ports, IReadOnlyDictionary<string, string> Labels, int Weight);
