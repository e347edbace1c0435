using System.Buffers;

namespace Proxy.Protocols.Tests.TestInfrastructure;

/// <summary>How a test input is cut into segments; every parser theory runs all three.</summary>
public enum SplitMode
{
    OneSegment,
    OneBytePerSegment,
    RandomSplits,
}

/// <summary>
/// Builds <see cref="ReadOnlySequence{T}"/> values whose segments are separate arrays, so a parser that assumes
/// contiguous memory across a boundary reads the wrong bytes instead of passing by luck.
/// </summary>
public static class SegmentedSequence
{
    /// <summary>Number of random split patterns tried per case in <see cref="SplitMode.RandomSplits"/>.</summary>
    public const int RandomPatterns = 8;

    public static ReadOnlySequence<byte> Create(ReadOnlySpan<byte> data, SplitMode mode, int seed = 0) => mode switch
    {
        SplitMode.OneSegment => new ReadOnlySequence<byte>(data.ToArray()),
        SplitMode.OneBytePerSegment => Create(data, Enumerable.Range(1, Math.Max(0, data.Length - 1)).ToArray()),
        _ => CreateRandom(data, new Random(seed)),
    };

    /// <summary>The sequences a theory runs a case over for <paramref name="mode"/>: one, or several random patterns.</summary>
    public static IEnumerable<ReadOnlySequence<byte>> Sequences(byte[] data, SplitMode mode)
    {
        if (mode != SplitMode.RandomSplits)
        {
            yield return Create(data, mode);
            yield break;
        }

        for (int seed = 1; seed <= RandomPatterns; seed++)
        {
            yield return Create(data, mode, seed);
        }
    }

    /// <summary>Cuts <paramref name="data"/> at random points (sometimes adding empty segments).</summary>
    public static ReadOnlySequence<byte> CreateRandom(ReadOnlySpan<byte> data, Random random)
    {
        var cuts = new List<int>();
        int position = 0;
        while (position < data.Length)
        {
            // Mostly short pieces so lines cross boundaries often, with the odd long one and the odd empty one.
            int step = random.Next(10) switch
            {
                0 => 0,
                1 => random.Next(1, 200),
                _ => random.Next(1, 8),
            };
            position = Math.Min(data.Length, position + step);
            cuts.Add(position);
        }

        return Create(data, [.. cuts]);
    }

    /// <summary>Cuts <paramref name="data"/> before each offset in <paramref name="cuts"/> (ascending; repeats give empty segments).</summary>
    public static ReadOnlySequence<byte> Create(ReadOnlySpan<byte> data, params int[] cuts)
    {
        var first = new Segment(default, 0);
        Segment last = first;
        int start = 0;
        foreach (int cut in cuts.Append(data.Length))
        {
            last = last.Append(data[start..cut].ToArray());
            start = cut;
        }

        // Drop the empty head segment so the first segment holds data whenever there is any.
        var head = (Segment)first.Next!;
        Segment.Rebase(head);
        return new ReadOnlySequence<byte>(head, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }

        public static void Rebase(Segment head)
        {
            long index = 0;
            for (var segment = head; segment is not null; segment = (Segment?)segment.Next)
            {
                segment.RunningIndex = index;
                index += segment.Memory.Length;
            }
        }
    }
}
