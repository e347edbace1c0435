using System.Buffers;
using Proxy.Protocols.Tests.TestInfrastructure;
using Proxy.Protocols.Tls;
using static Proxy.Protocols.Tests.Tls.ClientHelloData;

namespace Proxy.Protocols.Tests.Tls;

public class ClientHelloReaderTests
{
    public static TheoryData<string> ValidNames => [.. Valid.Select(c => c.Name)];

    public static TheoryData<string> InvalidNames => [.. Invalid.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(ValidRuns), MemberType = typeof(ClientHelloData))]
    public void TryRead_ValidHello_CompleteWithItsInfoAnySplit(string name, SplitMode mode)
    {
        HelloCase c = Find(Valid, name);
        foreach (ReadOnlySequence<byte> buffer in SegmentedSequence.Sequences(c.Wire, mode))
        {
            Assert.Equal(c.Expected, ClientHelloRead.Read(buffer));
        }
    }

    [Theory]
    [MemberData(nameof(InvalidRuns), MemberType = typeof(ClientHelloData))]
    public void TryRead_InvalidInput_ReportsItsStatusAnySplit(string name, SplitMode mode)
    {
        HelloCase c = Find(Invalid, name);
        foreach (ReadOnlySequence<byte> buffer in SegmentedSequence.Sequences(c.Wire, mode))
        {
            Assert.Equal(c.Expected, ClientHelloRead.Read(buffer));
        }
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void TryRead_ValidHelloTruncatedAtEveryLength_NeedsMoreDataUntilComplete(string name)
    {
        HelloCase c = Find(Valid, name);
        int helloEnd = CompleteLength(c.Wire);
        for (int length = 0; length <= c.Wire.Length; length++)
        {
            HelloResult expected = length < helloEnd ? HelloResult.Of(ClientHelloStatus.NeedMoreData) : c.Expected;
            Assert.Equal(expected, ClientHelloRead.Read(c.Wire[..length]));
            Assert.Equal(expected, ClientHelloRead.Read(SegmentedSequence.Create(c.Wire.AsSpan(0, length), length / 3, length / 2)));
        }
    }

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void TryRead_InvalidInputTruncatedAtEveryLength_NeedsMoreDataOrTheSameStatus(string name)
    {
        HelloCase c = Find(Invalid, name);
        bool decided = false;
        for (int length = 0; length <= c.Wire.Length; length++)
        {
            HelloResult actual = ClientHelloRead.Read(c.Wire[..length]);
            decided |= actual != HelloResult.Of(ClientHelloStatus.NeedMoreData);
            Assert.Equal(decided ? c.Expected : HelloResult.Of(ClientHelloStatus.NeedMoreData), actual);
        }
    }

    [Fact]
    public void TryRead_FirstByteNotHandshake_NotTlsFromOneByte()
    {
        for (int b = 0; b < 256; b++)
        {
            ClientHelloStatus expected = b == 22 ? ClientHelloStatus.NeedMoreData : ClientHelloStatus.NotTls;
            Assert.Equal(expected, ClientHelloRead.Read([(byte)b]).Status);
        }
    }

    [Fact]
    public void TryRead_SecondByteNotVersionMajor3_NotTls()
    {
        for (int b = 0; b < 256; b++)
        {
            ClientHelloStatus expected = b == 3 ? ClientHelloStatus.NeedMoreData : ClientHelloStatus.NotTls;
            Assert.Equal(expected, ClientHelloRead.Read([22, (byte)b]).Status);
        }
    }

    [Fact]
    public void TryRead_Empty_NeedsMoreData()
    {
        Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloRead.Read(ReadOnlySequence<byte>.Empty).Status);
    }

    [Fact]
    public void TryRead_RandomBytes_NeverThrowsAndIgnoresSplits()
    {
        for (int seed = 1; seed <= 500; seed++)
        {
            var random = new Random(seed);
            byte[] data = new byte[random.Next(0, 600)];
            random.NextBytes(data);
            if (seed % 2 == 0 && data.Length >= 6)
            {
                // Half of the inputs start like a hello so that the bytes after the headers get parsed.
                data[0] = 22;
                data[1] = 3;
                data[3] = (byte)random.Next(3);
                data[5] = 1;
            }

            AssertSameAnySplit(data, seed);
            if (data.Length > 0 && data[0] != 22)
            {
                Assert.Equal(ClientHelloStatus.NotTls, ClientHelloRead.Read(data).Status);
            }
        }
    }

    [Fact]
    public void TryRead_CorruptedBrowserHello_NeverThrowsAndIgnoresSplits()
    {
        byte[] wire = ClientHelloBuilder.Browser().Wire(700);
        for (int seed = 1; seed <= 500; seed++)
        {
            var random = new Random(seed);
            byte[] corrupted = [.. wire];
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                corrupted[random.Next(corrupted.Length)] ^= (byte)random.Next(1, 256);
            }

            AssertSameAnySplit(corrupted, seed);
        }
    }

    [Fact]
    public void TryRead_HelloExactlyAtTheBound_CompleteAndOneByteOver_TooLarge()
    {
        byte[] message = new ClientHelloBuilder().WithServerName("a.example").Message();
        foreach (int records in new[] { 1, 2, 3, 8 })
        {
            byte[] wire = ClientHelloBuilder.FrameEvery(message, (message.Length + records - 1) / records);
            Assert.Equal(message.Length + (5 * records), wire.Length);
            Assert.Equal(ClientHelloStatus.Complete, ClientHelloRead.Read(wire, maxHelloSize: wire.Length).Status);
            Assert.Equal(ClientHelloStatus.TooLarge, ClientHelloRead.Read(wire, maxHelloSize: wire.Length - 1).Status);
        }
    }

    [Fact]
    public void TryRead_DefaultBound_CountsMessageAndRecordHeaders()
    {
        byte[] fits = Padded(new ClientHelloBuilder(), 16 * 1024).Message();
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloRead.Read(ClientHelloBuilder.FrameEvery(fits, 2048)).Status);

        byte[] over = Padded(new ClientHelloBuilder(), (16 * 1024) + 1).Message();
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloRead.Read(ClientHelloBuilder.FrameEvery(over, 2341)).Status);
        Assert.Equal(ClientHelloStatus.TooLarge, ClientHelloRead.Read(ClientHelloBuilder.FrameEvery(over, 2048)).Status);
    }

    [Fact]
    public void TryRead_OverTheBound_TooLargeBeforeTheBodyArrives()
    {
        // Records of 2, 2 and 4996 bytes: the message header ends with the second record (wire byte 14).
        byte[] message = Padded(new ClientHelloBuilder(), 5000).Message();
        byte[] wire = ClientHelloBuilder.Frame(message, 0x0301, 2, 4);
        Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloRead.Read(wire[..^1]).Status);

        // Two record headers and the message: 10 + 5000.
        Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloRead.Read(wire[..14], maxHelloSize: 5010).Status);
        Assert.Equal(ClientHelloStatus.TooLarge, ClientHelloRead.Read(wire[..14], maxHelloSize: 5009).Status);

        // The third record's header counts as soon as it is read: 15 + 5000.
        Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloRead.Read(wire[..19], maxHelloSize: 5015).Status);
        Assert.Equal(ClientHelloStatus.TooLarge, ClientHelloRead.Read(wire[..19], maxHelloSize: 5014).Status);
    }

    [Fact]
    public void TryRead_BadArguments_Throw()
    {
        byte[] wire = ClientHelloBuilder.Browser().Wire();
        Assert.Throws<ArgumentNullException>(() => ClientHelloReader.TryRead(new ReadOnlySequence<byte>(wire), null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClientHelloReader.TryRead(new ReadOnlySequence<byte>(wire), new ClientHelloInfo(), 0));
    }

    [Fact]
    public void TryRead_ReusedInfo_ForgetsThePreviousHello()
    {
        var info = new ClientHelloInfo();
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.TryRead(new ReadOnlySequence<byte>(ClientHelloBuilder.Browser().Wire()), info));
        Assert.True(info.HasServerName && info.HasAlpn && info.OffersTls13);

        var bare = new ClientHelloBuilder { OmitExtensions = true, LegacyVersion = 0x0302 };
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.TryRead(new ReadOnlySequence<byte>(bare.Wire()), info));
        Assert.False(info.HasServerName);
        Assert.True(info.ServerName.IsEmpty);
        Assert.Null(info.GetServerNameString());
        Assert.False(info.HasAlpn);
        Assert.False(info.OffersAlpn("h2"u8));
        Assert.False(info.OffersTls13);
        Assert.Equal(0x0302, info.LegacyVersion);
    }

    [Fact]
    public void Reset_ClearsEverything()
    {
        var info = new ClientHelloInfo();
        ClientHelloReader.TryRead(new ReadOnlySequence<byte>(ClientHelloBuilder.Browser().Wire()), info);
        info.Reset();
        Assert.Equal(HelloResult.Of(ClientHelloStatus.Complete), Describe(info));
    }

    [Fact]
    public void OffersAlpn_EmptyOrPrefix_False()
    {
        var info = new ClientHelloInfo();
        ClientHelloReader.TryRead(new ReadOnlySequence<byte>(ClientHelloBuilder.Browser().Wire()), info);
        Assert.True(info.OffersAlpn("http/1.1"u8));
        Assert.False(info.OffersAlpn(""u8));
        Assert.False(info.OffersAlpn("http/1"u8));
        Assert.False(info.OffersAlpn("http/1.10"u8));
        Assert.False(info.OffersAlpn("H2"u8));
        Assert.Equal("api.example.com"u8, info.ServerName);
    }

    [Fact]
    public void IsGrease_ExactlyTheSixteenReservedValues()
    {
        ushort[] grease = [.. Enumerable.Range(0, 0x10000).Select(v => (ushort)v).Where(TlsWire.IsGrease)];
        Assert.Equal([.. Enumerable.Range(0, 16).Select(i => (ushort)((((i << 4) | 0x0A) << 8) | (i << 4) | 0x0A))], grease);
    }

    [Fact]
    public void TryRead_BrowserHello_AllocatesNothing()
    {
        byte[] wire = ClientHelloBuilder.Browser().Wire();
        var oneSegment = new ReadOnlySequence<byte>(wire);
        ReadOnlySequence<byte> fragmented = SegmentedSequence.Create(ClientHelloBuilder.FrameEvery(ClientHelloBuilder.Browser().Message(), 97), SplitMode.RandomSplits, seed: 7);
        var info = new ClientHelloInfo();

        ReadMany(oneSegment, info, 100);
        ReadMany(fragmented, info, 100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int complete = ReadMany(oneSegment, info, 1000) + ReadMany(fragmented, info, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(2000, complete);
    }

    private static int ReadMany(ReadOnlySequence<byte> buffer, ClientHelloInfo info, int count)
    {
        int complete = 0;
        for (int i = 0; i < count; i++)
        {
            if (ClientHelloReader.TryRead(buffer, info) == ClientHelloStatus.Complete && info.OffersAlpn("h2"u8))
            {
                complete++;
            }
        }

        return complete;
    }

    private static HelloResult Describe(ClientHelloInfo info) =>
        new(ClientHelloStatus.Complete, info.GetServerNameString(), info.HasAlpn, info.OffersAlpn("h2"u8) ? "h2" : "", info.LegacyVersion, info.OffersTls13);

    /// <summary>The shortest prefix of <paramref name="wire"/> that reads as a whole hello.</summary>
    private static int CompleteLength(byte[] wire)
    {
        int length = 0;
        while (ClientHelloRead.Read(wire[..length]).Status == ClientHelloStatus.NeedMoreData)
        {
            length++;
        }

        return length;
    }

    private static void AssertSameAnySplit(byte[] data, int seed)
    {
        HelloResult expected = ClientHelloRead.Read(data);
        Assert.Equal(expected, ClientHelloRead.Read(SegmentedSequence.Create(data, SplitMode.OneBytePerSegment)));
        Assert.Equal(expected, ClientHelloRead.Read(SegmentedSequence.Create(data, SplitMode.RandomSplits, seed)));
    }
}
