using System.IO.Hashing;

namespace Proxy.Engine.Upstream.LoadBalancing;

/// <summary>
/// Envoy's Maglev table (source/extensions/load_balancing_policies/maglev/maglev_lb.cc; Eisenbud et al., "Maglev: A
/// Fast and Reliable Software Network Load Balancer", NSDI 2016, pseudocode listing 1), built once per cluster state
/// and read without locks. Every endpoint walks its own permutation of the table (offset and skip from two hashes of
/// its address) and claims the next free slot in turn; weights decide how often an endpoint takes a turn. A key picks
/// <c>table[hash % size]</c>. When endpoints change, most slots keep their endpoint ("minimal disruption").
/// </summary>
internal sealed class MaglevTable
{
    private readonly ushort[] _table;

    public MaglevTable(ReadOnlySpan<EndpointState> endpoints, int tableSize)
    {
        if (tableSize < 2 || !IsPrime(tableSize))
        {
            throw new ArgumentException($"Maglev table size {tableSize} is not a prime number greater than 1.", nameof(tableSize));
        }

        if (endpoints.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"Maglev supports at most {ushort.MaxValue} endpoints.", nameof(endpoints));
        }

        if (endpoints.IsEmpty)
        {
            _table = [];
            return;
        }

        // Envoy sorts the endpoints by hash key first: the fill order decides which endpoint wins a contested slot, and
        // must not depend on the order endpoints were listed in.
        var order = new int[endpoints.Length];
        var keys = new byte[endpoints.Length][];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
            keys[i] = endpoints[i].Authority;
        }

        Array.Sort(keys, order, ByteOrder.Instance);

        double total = 0;
        foreach (var endpoint in endpoints)
        {
            total += endpoint.Weight;
        }

        var entries = new Entry[order.Length];
        var maximumWeight = 0.0;
        for (var i = 0; i < entries.Length; i++)
        {
            var key = keys[i];
            var weight = endpoints[order[i]].Weight / total;
            maximumWeight = Math.Max(maximumWeight, weight);
            var offset = XxHash64.HashToUInt64(key) % (ulong)tableSize;
            var skip = (XxHash64.HashToUInt64(key, seed: 1) % (ulong)(tableSize - 1)) + 1;
            entries[i] = new Entry(order[i], offset, skip, weight);
        }

        var table = new ushort[tableSize];
        var taken = new bool[tableSize];
        var filled = 0;
        for (var iteration = 1L; filled < tableSize; iteration++)
        {
            for (var i = 0; i < entries.Length && filled < tableSize; i++)
            {
                ref var entry = ref entries[i];

                // An endpoint of the maximum weight takes a turn every iteration, one of a third of it every third.
                if (iteration * entry.Weight < entry.TargetWeight)
                {
                    continue;
                }

                entry.TargetWeight += maximumWeight;
                var slot = entry.Position;
                while (taken[slot])
                {
                    slot = entry.Advance(tableSize);
                }

                table[slot] = (ushort)entry.Endpoint;
                taken[slot] = true;
                entry.Advance(tableSize);
                filled++;
            }
        }

        _table = table;
    }

    public int Size => _table.Length;

    /// <summary>The endpoint index for <paramref name="hash"/>. A host selection retry (<paramref name="attempt"/> &gt; 0)
    /// mutates the hash as Envoy's <c>MaglevTable::chooseHost(hash, attempt)</c> does: XOR with <c>~0 - attempt + 1</c>,
    /// a value with most bits set, so retries spread over other slots.</summary>
    public int Pick(ulong hash, int attempt = 0)
    {
        if (attempt > 0)
        {
            hash ^= ulong.MaxValue - (ulong)attempt + 1;
        }

        return _table[(int)(hash % (ulong)_table.Length)];
    }

    /// <summary>How many slots an endpoint owns (for tests).</summary>
    internal int SlotsOf(int endpoint)
    {
        var count = 0;
        foreach (var owner in _table)
        {
            count += owner == endpoint ? 1 : 0;
        }

        return count;
    }

    /// <summary>Envoy's Primes::isPrime (Istio's validation copies it).</summary>
    public static bool IsPrime(long value)
    {
        if (value is > 0 and < 4)
        {
            return true;
        }

        if (value < 2 || (value & 1) == 0)
        {
            return false;
        }

        for (long factor = 3; factor * factor <= value; factor += 2)
        {
            if (value % factor == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One endpoint's walk through its permutation: slot k is <c>(offset + k * skip) % size</c>.</summary>
    private struct Entry(int endpoint, ulong offset, ulong skip, double weight)
    {
        public readonly int Endpoint = endpoint;
        public readonly double Weight = weight;
        public double TargetWeight;
        private readonly ulong _skip = skip;
        private ulong _position = offset;

        public readonly int Position => (int)_position;

        public int Advance(int size)
        {
            _position += _skip;
            if (_position >= (ulong)size)
            {
                _position -= (ulong)size;
            }

            return (int)_position;
        }
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
