using Proxy.Protocols.Tests.TestInfrastructure;
using Proxy.Protocols.Tls;

namespace Proxy.Protocols.Tests.Tls;

/// <summary>
/// A handshake message may be cut into records anywhere, its 4-byte header included (RFC 8446 5.1); independently,
/// TCP cuts the records into segments anywhere. Neither may change what is read.
/// </summary>
public class ClientHelloRecordFragmentationTests
{
    public static TheoryData<string> Hellos => ["browser", "sni only", "grease everywhere", "sni first host_name of several", "tls 1.2 without extensions"];

    [Theory]
    [MemberData(nameof(Hellos))]
    public void TryRead_HelloInTwoRecords_SameAtEveryBoundary(string name)
    {
        (byte[] message, HelloResult expected) = Hello(name);
        for (int cut = 1; cut < message.Length; cut++)
        {
            byte[] wire = ClientHelloBuilder.Frame(message, 0x0301, cut);
            Assert.Equal(expected, ClientHelloRead.Read(wire));
            Assert.Equal(expected, ClientHelloRead.Read(SegmentedSequence.Create(wire, SplitMode.RandomSplits, cut)));
        }
    }

    [Theory]
    [InlineData("sni only")]
    [InlineData("tls 1.2 without extensions")]
    public void TryRead_HelloInThreeRecords_SameAtEveryPairOfBoundaries(string name)
    {
        (byte[] message, HelloResult expected) = Hello(name);
        for (int first = 1; first < message.Length; first++)
        {
            for (int second = first + 1; second < message.Length; second++)
            {
                Assert.Equal(expected, ClientHelloRead.Read(ClientHelloBuilder.Frame(message, 0x0303, first, second)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Hellos))]
    public void TryRead_HelloInRecordsOfEverySmallSize_SameAnySplit(string name)
    {
        (byte[] message, HelloResult expected) = Hello(name);
        foreach (int size in (int[])[1, 2, 3, 4, 5, 7, 16, 33, 100, 1000])
        {
            byte[] wire = ClientHelloBuilder.FrameEvery(message, size);
            foreach (SplitMode mode in Enum.GetValues<SplitMode>())
            {
                foreach (var buffer in SegmentedSequence.Sequences(wire, mode))
                {
                    Assert.Equal(expected, ClientHelloRead.Read(buffer));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Hellos))]
    public void TryRead_HelloInRandomRecords_SameAsOneRecord(string name)
    {
        (byte[] message, HelloResult expected) = Hello(name);
        var random = new Random(8446);
        for (int i = 0; i < 200; i++)
        {
            int[] cuts = [.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => random.Next(1, message.Length)).Distinct().Order()];
            byte[] wire = ClientHelloBuilder.Frame(message, 0x0301, cuts);
            Assert.Equal(expected, ClientHelloRead.Read(SegmentedSequence.CreateRandom(wire, random)));
        }
    }

    [Theory]
    [MemberData(nameof(Hellos))]
    public void TryRead_FragmentedHelloTruncatedAtEveryLength_NeedsMoreData(string name)
    {
        (byte[] message, _) = Hello(name);
        byte[] wire = ClientHelloBuilder.FrameEvery(message, 3);
        for (int length = 0; length < wire.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloRead.Read(wire[..length]).Status);
        }
    }

    private static (byte[] Message, HelloResult Expected) Hello(string name)
    {
        HelloCase c = ClientHelloData.Find(ClientHelloData.Valid, name);
        byte[] message = c.Wire[5..];
        Assert.Equal(c.Wire.Length - 5, (c.Wire[3] << 8) | c.Wire[4]);
        return (message, c.Expected);
    }
}
