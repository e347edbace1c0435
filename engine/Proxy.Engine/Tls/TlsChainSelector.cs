using System.Text;
using Proxy.Engine.Config;

namespace Proxy.Engine.Tls;

/// <summary>
/// Chooses a TLS listener's filter chain by SNI the way Envoy does: an exact server name, then the longest
/// <c>*.suffix</c> that matches (a wildcard covers one or more labels but never the bare suffix), then a chain without
/// server names. A hello without SNI, or with a name no chain claims, gets that chain; when there is none, the first
/// terminating chain serves it (its certificate, as Envoy serves the first server's when nothing matches), and a
/// listener of passthrough chains only closes the connection.
/// </summary>
internal sealed class TlsChainSelector
{
    private readonly Dictionary<string, ChainState> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ChainState>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
    private readonly (string Suffix, ChainState Chain)[] _wildcards;
    private readonly List<ChainState> _states = [];
    private readonly ChainState? _default;

    public TlsChainSelector(IReadOnlyList<TlsFilterChain> chains)
    {
        var wildcards = new List<(string Suffix, ChainState Chain)>();
        foreach (var chain in chains)
        {
            var state = new ChainState(chain);
            _states.Add(state);
            if (chain.ServerNames.Count == 0)
            {
                _default ??= state;
                continue;
            }

            foreach (var name in chain.ServerNames)
            {
                if (name == "*")
                {
                    _default ??= state;
                }
                else if (name.StartsWith("*.", StringComparison.Ordinal))
                {
                    // Keep the dot: "*.example.com" matches names ending in ".example.com".
                    if (!wildcards.Exists(w => string.Equals(w.Suffix, name[1..], StringComparison.OrdinalIgnoreCase)))
                    {
                        wildcards.Add((name[1..], state));
                    }
                }
                else
                {
                    _exact.TryAdd(name, state);
                }
            }
        }

        if (_default is null)
        {
            foreach (var chain in chains)
            {
                if (chain.Termination is not null)
                {
                    _default = FindState(chain);
                    break;
                }
            }
        }

        wildcards.Sort(static (a, b) => b.Suffix.Length.CompareTo(a.Suffix.Length));
        _wildcards = [.. wildcards];
        _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private ChainState FindState(TlsFilterChain chain) => _states.Find(s => ReferenceEquals(s.Config, chain))!;

    /// <summary>The chain for an SNI given as ASCII bytes (empty when the hello had none), or null.</summary>
    public ChainState? Select(ReadOnlySpan<byte> serverName)
    {
        if (serverName.IsEmpty)
        {
            return _default;
        }

        Span<char> chars = stackalloc char[serverName.Length];
        var length = Encoding.ASCII.GetChars(serverName, chars);
        return Select(chars[..length]);
    }

    public ChainState? Select(ReadOnlySpan<char> serverName)
    {
        if (serverName.IsEmpty)
        {
            return _default;
        }

        if (_exactLookup.TryGetValue(serverName, out var exact))
        {
            return exact;
        }

        foreach (var (suffix, chain) in _wildcards)
        {
            if (serverName.Length > suffix.Length && serverName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return chain;
            }
        }

        return _default;
    }
}

/// <summary>A filter chain with its compiled TLS context (null for passthrough).</summary>
internal sealed class ChainState
{
    public ChainState(TlsFilterChain config)
    {
        Config = config;
        Tls = config.Termination is { } termination ? new ServerTlsContext(termination, http: config.Router is not null) : null;
    }

    public TlsFilterChain Config { get; }

    public ServerTlsContext? Tls { get; }
}
