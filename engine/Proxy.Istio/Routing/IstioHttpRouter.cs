using System.Buffers;
using System.Text;
using Proxy.Engine.Http;
using Proxy.Engine.Routing;

namespace Proxy.Istio.Routing;

/// <summary>
/// The compiled route table of one listener (Istio's <c>http.&lt;port&gt;</c> route configuration). Host lookup follows
/// Envoy's virtual host selection: exact domain, then wildcard suffixes longest first, then <c>*</c>; the Host
/// header's port is ignored. Then the virtual host's routes are scanned in order. Immutable; never allocates.
/// </summary>
internal sealed class IstioHttpRouter : IHttpRouter
{
    // DNS names are at most 253 characters (RFC 1035 2.3.4); longer hosts cannot equal a configured exact host.
    private const int MaxHostChars = 256;

    private readonly Dictionary<string, VirtualHost> _exact;
    private readonly Dictionary<string, VirtualHost>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
    private readonly (byte[] Suffix, VirtualHost Host)[] _wildcards;
    private readonly VirtualHost? _catchAll;

    /// <param name="virtualHosts">Domains are lower-case: exact names, <c>*.suffix</c> wildcards, or <c>*</c>.</param>
    public IstioHttpRouter(IEnumerable<VirtualHost> virtualHosts)
    {
        _exact = new Dictionary<string, VirtualHost>(StringComparer.Ordinal);
        var wildcards = new List<(byte[], VirtualHost)>();
        foreach (var host in virtualHosts)
        {
            if (host.Domain == "*")
            {
                _catchAll = host;
            }
            else if (host.Domain.StartsWith('*'))
            {
                wildcards.Add((Encoding.ASCII.GetBytes(host.Domain[1..]), host));
            }
            else
            {
                _exact[host.Domain] = host;
            }
        }

        _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();

        // Longest suffix first: *.foo.example.com wins over *.example.com.
        _wildcards = [.. wildcards.OrderByDescending(static w => w.Item1.Length)];
    }

    public IReadOnlyCollection<VirtualHost> VirtualHosts =>
        [.. _exact.Values, .. _wildcards.Select(static w => w.Host), .. _catchAll is null ? [] : new[] { _catchAll }];

    public HttpRoute? Route(HttpRequestHead request)
    {
        var host = FindVirtualHost(request.Host);
        if (host is null)
        {
            return null;
        }

        foreach (var entry in host.Routes)
        {
            if (entry.Match is null || entry.Match.Matches(request))
            {
                return entry.Route;
            }
        }

        return null;
    }

    internal VirtualHost? FindVirtualHost(ReadOnlySpan<byte> host)
    {
        if (_exact.Count > 0 && host.Length <= MaxHostChars)
        {
            Span<char> lower = stackalloc char[MaxHostChars];

            // Non-ASCII bytes cannot equal a configured host (validated as ASCII DNS names).
            if (Ascii.ToLower(host, lower, out var written) == OperationStatus.Done &&
                _exactLookup.TryGetValue(lower[..written], out var exact))
            {
                return exact;
            }
        }

        foreach (var (suffix, virtualHost) in _wildcards)
        {
            // "*.example.com" needs at least one character before ".example.com".
            if (host.Length > suffix.Length && Ascii.EqualsIgnoreCase(host[^suffix.Length..], suffix))
            {
                return virtualHost;
            }
        }

        return _catchAll;
    }
}
