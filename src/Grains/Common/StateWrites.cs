namespace OrleansShare.Grains.Common;

/// <summary>
/// The one way a grain changes its stored state. Memory takes the new value for the write; when the write fails,
/// or may have failed (a timeout, a lost connection, a version conflict), memory goes back to what it held and the
/// activation is dropped, so the next call starts from what storage really holds and never from a change that was
/// not acknowledged.
/// </summary>
public static class StateWrites
{
    public static async Task WriteAsync<T>(this IPersistentState<T> state, T next, IGrainBase grain)
    {
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
