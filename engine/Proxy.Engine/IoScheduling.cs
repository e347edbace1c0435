namespace Proxy.Engine;

/// <summary>Where the data path runs after a socket operation completes.</summary>
public enum IoScheduling
{
    /// <summary>
    /// On the thread that completed the socket operation: parse, route and forward without a further hop. The
    /// default; the data path never blocks.
    /// </summary>
    Inline = 0,

    /// <summary>Queued to the thread pool after each completion, as Kestrel does by default.</summary>
    ThreadPool,
}
