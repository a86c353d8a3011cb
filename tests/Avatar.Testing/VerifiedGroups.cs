using Avatar.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Avatar.Testing;

public static class VerifiedGroups
{
    /// <summary>
    /// A group minted in the simulator and recorded in the worker's database (<paramref name="connectionString"/>,
    /// migrated) as one a session of this worker verified earlier, for any caller: the short way to what a session's whole flow ends in.
    /// </summary>
    public static async Task<string> MintVerifiedGroupAsync(this SimulatorClient simulator, string connectionString)
    {
        var groupId = await simulator.MintGroupAsync();
        await using var db = AvatarDbContext.Open(connectionString);
        await VerifiedGroup.RecordAsync(db, groupId, Guid.Empty, owner: null, CancellationToken.None);
        return groupId;
    }
}
