namespace Proxy.Engine.Tests.Http.Timeouts;

/// <summary>Disposes a backend at most once, so a test can end it early and still have it cleaned up on failure.</summary>
internal sealed class DisposeOnce(IAsyncDisposable inner) : IAsyncDisposable
{
    private int _disposed;

    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? inner.DisposeAsync() : ValueTask.CompletedTask;
}
