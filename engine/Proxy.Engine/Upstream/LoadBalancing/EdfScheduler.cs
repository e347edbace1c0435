namespace Proxy.Engine.Upstream.LoadBalancing;

/// <summary>
/// Envoy's earliest-deadline-first scheduler (source/common/upstream/edf_scheduler.h), used by weighted round robin
/// and least request and while endpoints warm up. Each endpoint has a deadline <c>now + 1 / weight</c>; a pick takes
/// the earliest (ties by insertion order), advances the virtual clock to it and re-adds the endpoint with the weight it
/// has at that moment, so changing weights (active requests, slow start) take effect at the endpoint's next turn.
/// Picks are serialized by a lock: the critical section is one heap pop and push over the cluster's endpoints.
/// </summary>
internal sealed class EdfScheduler
{
    private readonly Lock _lock = new();
    private readonly Entry[] _heap;
    private double _now;
    private long _order;

    public EdfScheduler(int count, Func<int, double> weightOf)
    {
        _heap = new Entry[count];
        for (var i = 0; i < count; i++)
        {
            _heap[i] = new Entry(1.0 / weightOf(i), _order++, i);
            SiftUp(i);
        }
    }

    /// <summary>The next endpoint index; <paramref name="weightOf"/> gives its weight now (must be positive).</summary>
    public int PickAndAdd(Func<int, double> weightOf)
    {
        lock (_lock)
        {
            var top = _heap[0];
            _now = top.Deadline;
            _heap[0] = new Entry(_now + (1.0 / weightOf(top.Index)), _order++, top.Index);
            SiftDown(0);
            return top.Index;
        }
    }

    private void SiftUp(int i)
    {
        var heap = _heap;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!heap[i].Before(heap[parent]))
            {
                break;
            }

            (heap[i], heap[parent]) = (heap[parent], heap[i]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        var heap = _heap;
        while (true)
        {
            var left = (2 * i) + 1;
            if (left >= heap.Length)
            {
                return;
            }

            var child = left + 1 < heap.Length && heap[left + 1].Before(heap[left]) ? left + 1 : left;
            if (!heap[child].Before(heap[i]))
            {
                return;
            }

            (heap[i], heap[child]) = (heap[child], heap[i]);
            i = child;
        }
    }

    private readonly record struct Entry(double Deadline, long Order, int Index)
    {
        public bool Before(in Entry other) => Deadline < other.Deadline || (Deadline == other.Deadline && Order < other.Order);
    }
}
