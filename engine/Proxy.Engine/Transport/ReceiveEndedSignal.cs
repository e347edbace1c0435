namespace Proxy.Engine.Transport;

/// <summary>
/// <see cref="ITransportConnection.OnReceiveEnded"/> for a transport: one callback, called once, whichever comes first
/// of its registration and the end of receiving. Kept in a mutable field of the transport (no allocation).
/// </summary>
internal struct ReceiveEndedSignal
{
    private const int Receiving = 0;
    private const int Ended = 1;
    private const int Raised = 2;

    private Action<object?>? _callback;
    private object? _state;
    private int _status;

    public void Register(Action<object?> callback, object? state)
    {
        _state = state;
        Interlocked.Exchange(ref _callback, callback); // a full fence: the status read below cannot move before it
        if (Volatile.Read(ref _status) == Ended)
        {
            TryRaise();
        }
    }

    /// <summary>Receiving has ended: calls the callback if one is registered.</summary>
    public void Raise()
    {
        Interlocked.CompareExchange(ref _status, Ended, Receiving);
        TryRaise();
    }

    private void TryRaise()
    {
        if (Volatile.Read(ref _callback) is { } callback && Interlocked.Exchange(ref _status, Raised) == Ended)
        {
            callback(_state);
        }
    }
}
