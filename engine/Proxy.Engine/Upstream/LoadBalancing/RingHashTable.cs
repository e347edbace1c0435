using System.Globalization;
using System.IO.Hashing;

namespace Proxy.Engine.Upstream.LoadBalancing;

/// <summary>
/// Envoy's ring hash (source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc), built once per cluster
/// state and read without locks. Each endpoint owns points on a 64-bit ring in proportion to its weight; a key belongs
/// to the first point at or after it, wrapping at the end. Adding or removing an endpoint moves only the keys of the
/// arcs its points cover, plus those whose arcs change because every endpoint's point count is rescaled.
/// </summary>
internal sealed class RingHashTable
{
    /// <summary>Envoy's default maximum_ring_size.</summary>
    internal const int MaximumRingSize = 8 * 1024 * 1024;

    private readonly ulong[] _hashes;
    private readonly int[] _endpoints;

    public RingHashTable(ReadOnlySpan<EndpointState> endpoints, int minimumRingSize)
    {
        if (endpoints.IsEmpty)
        {
            _hashes = [];
            _endpoints = [];
            return;
        }

        // Normalized weights; the least weighted endpoint gets a whole number of points and the scale follows from it
        // ("scale = min(ceil(min_normalized_weight * min_ring_size) / min_normalized_weight, max_ring_size)").
        double total = 0;
        foreach (var endpoint in endpoints)
        {
            total += endpoint.Weight;
        }

        var minimumWeight = 1.0;
        foreach (var endpoint in endpoints)
        {
            minimumWeight = Math.Min(minimumWeight, endpoint.Weight / total);
        }

        var scale = Math.Min(Math.Ceiling(minimumWeight * Math.Max(minimumRingSize, 1)) / minimumWeight, MaximumRingSize);
        var size = (int)Math.Ceiling(scale);
        var hashes = new List<ulong>(size);
        var owners = new List<int>(size);

        // Running sums keep fractional point counts stable across endpoints, as Envoy does. Point i of an endpoint is
        // xxHash64("<address>:<port>_<i>").
        Span<byte> key = stackalloc byte[256];
        var current = 0.0;
        var target = 0.0;
        for (var e = 0; e < endpoints.Length; e++)
        {
            var authority = endpoints[e].Authority;
            var prefixLength = Math.Min(authority.Length, key.Length - 21);
            authority.AsSpan(0, prefixLength).CopyTo(key);
            key[prefixLength] = (byte)'_';
            target += scale * (endpoints[e].Weight / total);
            for (var i = 0L; current < target; i++, current++)
            {
                i.TryFormat(key[(prefixLength + 1)..], out var digits, default, CultureInfo.InvariantCulture);
                hashes.Add(XxHash64.HashToUInt64(key[..(prefixLength + 1 + digits)]));
                owners.Add(e);
            }
        }

        _hashes = [.. hashes];
        _endpoints = [.. owners];
        Array.Sort(_hashes, _endpoints);
    }

    public int Size => _hashes.Length;

    /// <summary>
    /// The endpoint index owning <paramref name="hash"/>: the first point at or after it, else the first point. A host
    /// selection retry (<paramref name="attempt"/> &gt; 0, Envoy's <c>Ring::chooseHost(h, attempt)</c>) takes the point
    /// <paramref name="attempt"/> places further on, "as if this host was not in the ring" (it may still be the same
    /// endpoint).
    /// </summary>
    public int Pick(ulong hash, int attempt = 0)
    {
        var hashes = _hashes;
        int low = 0, high = hashes.Length;
        while (low < high)
        {
            var mid = (int)((uint)(low + high) >> 1);
            if (hashes[mid] < hash)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        var point = low == hashes.Length ? 0 : low;
        if (attempt > 0)
        {
            point = (int)((uint)(point + attempt) % (uint)hashes.Length);
        }

        return _endpoints[point];
    }

    /// <summary>How many points each endpoint owns (for tests).</summary>
    internal int PointsOf(int endpoint)
    {
        var count = 0;
        foreach (var owner in _endpoints)
        {
            count += owner == endpoint ? 1 : 0;
        }

        return count;
    }
}
