using System.Text.Json.Nodes;

namespace Avatar.Simulator;

/// <summary>What <c>GET /v1/tasks/{id}</c> shows of a task at a moment.</summary>
internal static class TaskView
{
    public static JsonObject Render(SimTask task, SimulatorSettings settings, DateTimeOffset now, string baseUrl)
    {
        var view = new JsonObject { ["id"] = task.Id, ["created"] = task.Created.ToUnixTimeSeconds() };
        if (task.Cancelled)
        {
            view["status"] = "cancelled";
            return view;
        }

        switch (task)
        {
            case SessionTask { Session: var session }:
                Completed(view, now, new JsonObject
                {
                    ["byted_token"] = session.BytedToken,
                    ["h5_link"] = $"{(settings.PublicBaseUrl ?? baseUrl).TrimEnd('/')}/h5/{session.H5Key}",
                    ["raw_response"] = new JsonObject(),
                });
                break;
            case VerificationTask verification:
                RenderVerification(view, verification, settings, now);
                break;
            case ReviewTask review:
                RenderReview(view, review, settings, now);
                break;
        }

        return view;
    }

    private static void RenderVerification(JsonObject view, VerificationTask task, SimulatorSettings settings, DateTimeOffset now)
    {
        var session = task.Session;
        switch (session.State)
        {
            case PersonState.Verified when now - task.Created >= settings.Step2TaskDuration:
                Completed(view, now, new JsonObject
                {
                    ["group_id"] = session.GroupId,
                    ["raw_response"] = new JsonObject { ["Result"] = new JsonObject { ["GroupId"] = session.GroupId } },
                });
                break;
            case PersonState.Failed:
                Failed(view, now, "verification_failed", "the person did not pass H5 verification", null);
                break;
            case PersonState.Pending when now > session.ExpiresAt:
                Failed(view, now, "token_expired", "byted_token has expired; create a new session", null);
                break;
            case PersonState.Pending when settings.Step2TaskEndsPending && now - task.Created >= settings.Step2TaskDuration:
                Failed(view, now, "ValidatePending", "H5 verification is not finished yet", null);
                break;
            default:
                view["status"] = "processing";
                view["progress"] = 50;
                break;
        }
    }

    private static void RenderReview(JsonObject view, ReviewTask task, SimulatorSettings settings, DateTimeOffset now)
    {
        var elapsed = now - task.Created;
        if (elapsed < task.Duration || task.Assets.Any(a => a.Outcome == AssetOutcome.Stuck))
        {
            view["status"] = settings.InProgressStatus;
            view["progress"] = task.Shape.ProgressAt(elapsed);
            if (task.Shape.Estimate is { } estimate)
            {
                view["estimated_time"] = (int)estimate.TotalSeconds;
            }

            return;
        }

        JsonObject Asset(SimAsset a) => new()
        {
            ["asset_id"] = a.AssetId,
            ["asset_url"] = $"asset://{a.AssetId}",
            ["status"] = a.Outcome == AssetOutcome.Active ? "Active" : "Failed",
        };

        var result = new JsonObject
        {
            ["assets"] = new JsonArray([.. task.Assets.Select(Asset)]),
            ["usable_assets"] = new JsonArray([.. task.Assets.Where(a => a.Outcome == AssetOutcome.Active).Select(Asset)]),
            ["failed_assets"] = new JsonArray([.. task.Assets.Where(a => a.Outcome != AssetOutcome.Active).Select(Asset)]),
        };
        // How long the review ran (whole seconds) and when it ended: the task's own record, the same however late it is read.
        var ended = task.Created + task.Duration;
        view["object"] = "seedance.avatar.asset.task";
        view["actual_time"] = (int)Math.Round(task.Duration.TotalSeconds);

        if (task.Assets.All(a => a.Outcome == AssetOutcome.Active))
        {
            Completed(view, ended, result);
        }
        else
        {
            var someUsable = task.Assets.Any(a => a.Outcome == AssetOutcome.Active);
            Failed(view, ended, "task_failed", settings.ReviewFailureMessage ?? (someUsable ? "部分素材审核失败" : "素材审核失败"), result);
        }
    }

    private static void Completed(JsonObject view, DateTimeOffset now, JsonObject result)
    {
        view["status"] = "completed";
        view["progress"] = 100;
        view["completed"] = now.ToUnixTimeSeconds();
        view["result"] = result;
    }

    private static void Failed(JsonObject view, DateTimeOffset now, string code, string message, JsonObject? result)
    {
        view["status"] = "failed";
        view["progress"] = 100;
        view["completed"] = now.ToUnixTimeSeconds();
        if (result is not null)
        {
            view["result"] = result;
        }

        view["error"] = new JsonObject { ["code"] = code, ["message"] = message };
    }
}
