using System.Buffers;
using System.Text;
using Proxy.Protocols.Tls;

namespace Proxy.Protocols.Tests.Tls;

/// <summary>Everything a read reports, as a value tests can compare; the hello's fields only when it is Complete.</summary>
public sealed record HelloResult(ClientHelloStatus Status, string? ServerName, bool HasAlpn, string Alpn, ushort LegacyVersion, bool OffersTls13)
{
    public static HelloResult Of(ClientHelloStatus status) => new(status, null, false, "", 0, false);

    public static HelloResult Hello(string? serverName, string alpn = "", ushort legacyVersion = 0x0303, bool tls13 = false) =>
        new(ClientHelloStatus.Complete, serverName, alpn.Length > 0, alpn, legacyVersion, tls13);
}

/// <summary>Runs <see cref="ClientHelloReader"/> the way a listener would and describes the outcome.</summary>
public static class ClientHelloRead
{
    /// <summary>Names <see cref="HelloResult.Alpn"/> lists when offered; includes GREASE names, which must never be.</summary>
    public static readonly byte[][] ProbeProtocols =
    [
        .. new[] { "h2", "http/1.1", "http/1.0", "h3", "istio", "istio-peer-exchange", "istio-h2", "acme-tls/1", "x" }.Select(Encoding.ASCII.GetBytes),
        new string('p', 255).Select(c => (byte)c).ToArray(),
        [0x0A, 0x0A],
        [0xFA, 0xFA],
    ];

    public static HelloResult Read(ReadOnlySequence<byte> buffer, int maxHelloSize = ClientHelloReader.DefaultMaxHelloSize) =>
        Read(buffer, new ClientHelloInfo(), maxHelloSize);

    public static HelloResult Read(byte[] wire, int maxHelloSize = ClientHelloReader.DefaultMaxHelloSize) =>
        Read(new ReadOnlySequence<byte>(wire), maxHelloSize);

    public static HelloResult Read(ReadOnlySequence<byte> buffer, ClientHelloInfo info, int maxHelloSize = ClientHelloReader.DefaultMaxHelloSize)
    {
        ClientHelloStatus status = ClientHelloReader.TryRead(buffer, info, maxHelloSize);
        if (status != ClientHelloStatus.Complete)
        {
            return HelloResult.Of(status);
        }

        Assert.Equal(info.HasServerName, !info.ServerName.IsEmpty);
        string alpn = string.Join(",", ProbeProtocols.Where(p => info.OffersAlpn(p)).Select(Describe));
        return new HelloResult(status, info.GetServerNameString(), info.HasAlpn, alpn, info.LegacyVersion, info.OffersTls13);
    }

    /// <summary>A probe protocol as <see cref="HelloResult.Alpn"/> lists it: its text, or its length when long.</summary>
    public static string Describe(byte[] protocol) => protocol.Length > 32 ? $"<{protocol.Length}>" : Encoding.Latin1.GetString(protocol);
}
