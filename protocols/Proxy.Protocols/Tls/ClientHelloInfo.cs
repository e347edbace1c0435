using System.Runtime.CompilerServices;
using System.Text;

namespace Proxy.Protocols.Tls;

/// <summary>
/// What a ClientHello offers that routing needs: the server name (SNI), the ALPN protocols, and the versions.
/// Reusable: keep one per connection; <see cref="ClientHelloReader.TryRead"/> resets it before each read. The name and
/// the protocols are copied into fixed buffers inside the instance, so reading never allocates and the values stay
/// valid after the connection's buffer has moved on.
/// </summary>
/// <remarks>
/// Meaningful only after <see cref="ClientHelloStatus.Complete"/>; after any other status it may hold part of a hello.
/// Not thread-safe.
/// </remarks>
public sealed class ClientHelloInfo
{
    /// <summary>
    /// Room for the ALPN protocol list in wire form (a length byte before each name), GREASE excluded. Real clients
    /// offer "h2" and "http/1.1" (12 bytes); 256 holds any single name RFC 7301 allows (255 bytes).
    /// </summary>
    internal const int AlpnCapacity = 256;

    private ServerNameStorage _serverName;
    private AlpnStorage _alpn;
    private int _serverNameLength;
    private int _alpnLength;

    /// <summary>The hello carries a host_name in its server_name extension.</summary>
    public bool HasServerName => _serverNameLength > 0;

    /// <summary>
    /// The first host_name of the server_name extension (RFC 6066 3), ASCII lower-cased; empty if absent. Only letters,
    /// digits, '-', '.' and '_' are accepted, 1 to 255 bytes. Valid until the next <see cref="Reset"/> or read.
    /// </summary>
    public ReadOnlySpan<byte> ServerName => ((ReadOnlySpan<byte>)_serverName)[.._serverNameLength];

    /// <summary>At least one protocol other than a GREASE value is offered in the ALPN extension (RFC 7301).</summary>
    public bool HasAlpn => _alpnLength > 0;

    /// <summary>The client_version field of the hello (legacy_version in TLS 1.3: 0x0303, RFC 8446 4.1.2).</summary>
    public ushort LegacyVersion { get; internal set; }

    /// <summary>The supported_versions extension lists TLS 1.3 (0x0304, RFC 8446 4.2.1).</summary>
    public bool OffersTls13 { get; internal set; }

    internal Span<byte> ServerNameBuffer => _serverName;

    /// <summary>The server name as a string (allocates), or null if the hello has none.</summary>
    public string? GetServerNameString() => HasServerName ? Encoding.ASCII.GetString(ServerName) : null;

    /// <summary>The client offers <paramref name="protocol"/> (for example <c>"h2"u8</c> or <c>"http/1.1"u8</c>) in ALPN.</summary>
    public bool OffersAlpn(ReadOnlySpan<byte> protocol)
    {
        ReadOnlySpan<byte> list = ((ReadOnlySpan<byte>)_alpn)[.._alpnLength];
        while (!list.IsEmpty)
        {
            int length = list[0];
            if (list.Slice(1, length).SequenceEqual(protocol))
            {
                return true;
            }

            list = list[(1 + length)..];
        }

        return false;
    }

    /// <summary>Forgets the last hello.</summary>
    public void Reset()
    {
        _serverNameLength = 0;
        _alpnLength = 0;
        LegacyVersion = 0;
        OffersTls13 = false;
    }

    /// <summary>Makes the first <paramref name="length"/> bytes of <see cref="ServerNameBuffer"/> the server name.</summary>
    internal void SetServerName(int length) => _serverNameLength = length;

    /// <summary>
    /// Reserves room for one ALPN protocol name of <paramref name="length"/> bytes; the caller fills
    /// <paramref name="name"/> and then calls <see cref="CommitAlpn"/>. False when the list is full.
    /// </summary>
    internal bool TryReserveAlpn(int length, out Span<byte> name)
    {
        Span<byte> free = ((Span<byte>)_alpn)[_alpnLength..];
        if (1 + length > free.Length)
        {
            name = default;
            return false;
        }

        free[0] = (byte)length;
        name = free.Slice(1, length);
        return true;
    }

    internal void CommitAlpn(int length) => _alpnLength += 1 + length;

    [InlineArray(TlsWire.MaxHostNameLength)]
    private struct ServerNameStorage
    {
        private byte _element;
    }

    [InlineArray(AlpnCapacity)]
    private struct AlpnStorage
    {
        private byte _element;
    }
}
