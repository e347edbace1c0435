using Proxy.Protocols.Tests.TestInfrastructure;
using Proxy.Protocols.Tls;
using static Proxy.Protocols.Tests.Tls.ClientHelloBuilder;

namespace Proxy.Protocols.Tests.Tls;

/// <summary>
/// Property: for random valid hellos (random fields, extension sets and order, GREASE, host name case, records), the
/// reader reports what the builder put in, and neither record nor segment boundaries change it. Seeded, so a failure
/// reproduces.
/// </summary>
public class ClientHelloSplitPropertyTests
{
    private const int Hellos = 400;
    private const string HostChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";

    private static readonly ushort[] GreaseValues = [.. Enumerable.Range(0, 16).Select(i => (ushort)(0x0A0A | (i << 12) | (i << 4)))];

    [Fact]
    public void TryRead_RandomValidHellos_ReportWhatWasBuiltAnySplit()
    {
        for (int seed = 1; seed <= Hellos; seed++)
        {
            var random = new Random(seed);
            (ClientHelloBuilder builder, HelloResult expected) = RandomHello(random);
            byte[] message = builder.Message();
            int[] cuts = [.. Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(1, message.Length)).Distinct().Order()];
            byte[] wire = Frame(message, builder.RecordVersion, cuts);

            HelloResult oneSegment = ClientHelloRead.Read(wire);
            Assert.Equal(expected, oneSegment);
            Assert.Equal(oneSegment, ClientHelloRead.Read(SegmentedSequence.Create(wire, SplitMode.OneBytePerSegment)));
            for (int split = 0; split < 4; split++)
            {
                Assert.Equal(oneSegment, ClientHelloRead.Read(SegmentedSequence.CreateRandom(wire, random)));
            }

            Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloRead.Read(wire[..random.Next(wire.Length)]).Status);
        }
    }

    private static (ClientHelloBuilder Builder, HelloResult Expected) RandomHello(Random random)
    {
        var builder = new ClientHelloBuilder
        {
            RecordVersion = (ushort)(0x0300 + random.Next(4)),
            LegacyVersion = (ushort)(0x0301 + random.Next(3)),
            SessionId = new byte[random.Next(33)],
            CompressionMethods = [.. Enumerable.Range(0, random.Next(1, 4)).Select(i => (byte)i)],
            OmitExtensions = random.Next(8) == 0,
        };
        builder.CipherSuites.Clear();
        builder.CipherSuites.AddRange(Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.Next(4) == 0 ? Pick(random, GreaseValues) : (ushort)random.Next(0x10000)));

        string? serverName = null;
        var offered = new List<byte[]>();
        bool tls13 = false;
        var extensions = new List<(ushort Type, byte[] Data)>();
        if (random.Next(4) != 0)
        {
            string name = RandomHostName(random);
            var entries = new List<(byte, string)>();
            if (random.Next(4) == 0)
            {
                entries.Add(((byte)random.Next(1, 256), "not a host name"));
            }

            entries.Add((0, name));
            if (random.Next(4) == 0)
            {
                entries.Add((0, RandomHostName(random)));
            }

            extensions.Add((ServerName, ServerNameData([.. entries])));
            serverName = name.ToLowerInvariant();
        }

        if (random.Next(4) != 0)
        {
            var names = new List<byte[]>();
            foreach (byte[] protocol in ClientHelloRead.ProbeProtocols.Where(p => p.Length < 100 && !(p.Length == 2 && p[0] == p[1])))
            {
                if (random.Next(3) == 0)
                {
                    names.Add(protocol);
                    offered.Add(protocol);
                }

                if (random.Next(5) == 0)
                {
                    ushort grease = Pick(random, GreaseValues);
                    names.Add([(byte)(grease >> 8), (byte)grease]);
                }
            }

            if (names.Count > 0)
            {
                extensions.Add((Alpn, AlpnData([.. names])));
            }
        }

        if (random.Next(3) != 0)
        {
            ushort[] versions = [.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(3) switch
            {
                0 => Pick(random, GreaseValues),
                1 => (ushort)0x0304,
                _ => (ushort)(0x0300 + random.Next(4)),
            })];
            extensions.Add((SupportedVersions, SupportedVersionsData(versions)));
            tls13 = versions.Contains((ushort)0x0304);
        }

        for (int i = random.Next(6); i > 0; i--)
        {
            ushort type = random.Next(3) == 0 ? Pick(random, GreaseValues) : (ushort)random.Next(44, 0x10000);
            byte[] data = new byte[random.Next(3) == 0 ? 0 : random.Next(1, 300)];
            random.NextBytes(data);
            extensions.Add((type, data));
        }

        if (builder.OmitExtensions)
        {
            return (builder, HelloResult.Hello(null, legacyVersion: builder.LegacyVersion));
        }

        builder.Extensions.AddRange(extensions.OrderBy(_ => random.Next()));
        string alpn = string.Join(",", ClientHelloRead.ProbeProtocols.Where(p => offered.Any(o => o.AsSpan().SequenceEqual(p))).Select(ClientHelloRead.Describe));
        HelloResult expected = HelloResult.Hello(serverName, alpn, builder.LegacyVersion, tls13);
        return (builder, expected);
    }

    private static string RandomHostName(Random random) =>
        new([.. Enumerable.Range(0, random.Next(3) == 0 ? random.Next(1, 256) : random.Next(1, 40)).Select(_ => HostChars[random.Next(HostChars.Length)])]);

    private static ushort Pick(Random random, ushort[] values) => values[random.Next(values.Length)];
}
