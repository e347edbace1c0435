using System.Collections.Concurrent;
using Proxy.Engine.Http;
using Proxy.Engine.Tests.Http;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>Keeps every request record the server emits, so tests can assert status, response flags and attempts.</summary>
internal sealed class RequestLogRecorder : IRequestLogSink
{
    public ConcurrentQueue<RequestRecord> Records { get; } = new();

    public void OnRequestCompleted(in RequestRecord record, in RequestLogFields fields) => Records.Enqueue(record);

    /// <summary>Waits for the <paramref name="count"/>-th record (records are emitted just after the response is flushed).</summary>
    public async Task<RequestRecord> WaitForAsync(int count)
    {
        await FailureTests.PollAsync(() => Records.Count >= count);
        return Records.ElementAt(count - 1);
    }

    public static string Flags(RequestRecord record)
    {
        Span<byte> buffer = stackalloc byte[ResponseFlagNames.MaxLength];
        return System.Text.Encoding.ASCII.GetString(buffer[..ResponseFlagNames.Write(record.Flags, buffer)]);
    }
}
