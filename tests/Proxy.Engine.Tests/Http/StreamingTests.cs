using System.Diagnostics;
using System.Text;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Engine.Transport;
using Xunit.Abstractions;

namespace Proxy.Engine.Tests.Http;

[CollectionDefinition(nameof(MemoryMeasurement), DisableParallelization = true)]
public sealed class MemoryMeasurement;

/// <summary>
/// Bodies stream through the proxy without being buffered whole: the pooled memory in use stays bounded by the
/// pipes' pause thresholds however large the body. Runs alone because the block pool is process-wide.
/// </summary>
[Collection(nameof(MemoryMeasurement))]
public sealed class StreamingTests(ITestOutputHelper output)
{
    private const long UploadSize = 100L * 1024 * 1024;
    private const long MaxPooledBytes = 4L * 1024 * 1024;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upload100MiB_StreamsWithBoundedMemory(bool chunked)
    {
        await using var backend = new TestBackend { DiscardBodies = true };
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();

        var baselineBlocks = PinnedBlockMemoryPool.Instance.RentedCount;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var peakBlocks = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakBlocks = Math.Max(peakBlocks, PinnedBlockMemoryPool.Instance.RentedCount - baselineBlocks);
                await Task.Delay(1);
            }
        });

        await client.SendAsync(chunked
            ? "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            : $"POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {UploadSize}\r\n\r\n");
        var block = new byte[64 * 1024];
        Random.Shared.NextBytes(block);
        var prefix = Encoding.ASCII.GetBytes($"{block.Length:x}\r\n");
        var stopwatch = Stopwatch.StartNew();
        for (long sent = 0; sent < UploadSize; sent += block.Length)
        {
            if (chunked)
            {
                await client.SendAsync(prefix);
                await client.SendAsync(block);
                await client.SendAsync("\r\n"u8.ToArray());
            }
            else
            {
                await client.SendAsync(block);
            }
        }

        if (chunked)
        {
            await client.SendAsync("0\r\n\r\n");
        }

        var response = await client.ReadResponseAsync();
        await sampling.CancelAsync();
        await sampler;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        output.WriteLine($"peak pooled: {peakBlocks * PinnedBlockMemoryPool.BlockSize / 1024} KiB; allocated: {allocated / 1024} KiB; {stopwatch.ElapsedMilliseconds} ms");
        Assert.Equal(200, response.Status);
        Assert.Equal(UploadSize, backend.BodyBytes);
        Assert.True(peakBlocks * (long)PinnedBlockMemoryPool.BlockSize < MaxPooledBytes, $"peak pooled memory {peakBlocks} blocks of {PinnedBlockMemoryPool.BlockSize / 1024} KiB");

        // Everything the process allocated meanwhile (test client and backend included) is a small fraction of the
        // body: nothing holds the body whole.
        Assert.True(allocated < UploadSize / 8, $"allocated {allocated / 1024} KiB while streaming {UploadSize / 1024 / 1024} MiB in {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Download_ToClientThatStopsReading_PausesUpstreamReads()
    {
        const int Size = 64 * 1024 * 1024;
        var payload = new byte[Size];
        var head = System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Size}\r\n\r\n");
        await using var backend = new TestBackend(_ => new BackendReply([.. head, .. payload]));
        await using var proxy = await ProxyFixture.StartAsync(ProxyFixture.Cluster("b", backend.EndPoint));
        await using var client = await proxy.ConnectAsync();
        var baselineBlocks = PinnedBlockMemoryPool.Instance.RentedCount;

        await client.SendAsync("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.NotNull(await client.Reader.ReadHeadAsync().WaitAsync(TestTimeouts.Default));

        // The client reads nothing now. Sample the pool while the backend pushes: the proxy must stop reading the
        // upstream once its pipes are full, so pooled memory stays bounded although 64 MiB are waiting.
        var peakBlocks = 0;
        for (var i = 0; i < 100; i++)
        {
            peakBlocks = Math.Max(peakBlocks, PinnedBlockMemoryPool.Instance.RentedCount - baselineBlocks);
            await Task.Delay(5);
        }

        output.WriteLine($"peak pooled while the client was not reading: {peakBlocks * PinnedBlockMemoryPool.BlockSize / 1024} KiB");
        Assert.True(peakBlocks * (long)PinnedBlockMemoryPool.BlockSize < MaxPooledBytes);

        var body = await client.Reader.ReadFixedAsync(Size, discard: true).WaitAsync(TestTimeouts.Default);
        Assert.Empty(body);
    }
}
