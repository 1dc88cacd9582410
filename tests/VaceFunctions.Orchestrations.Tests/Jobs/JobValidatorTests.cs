using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.DashScope;
using VaceFunctions.Orchestrations.Jobs;

namespace VaceFunctions.Orchestrations.Tests.Jobs;

public class JobValidatorTests
{
    private const string Error = "error";
    private const string Warning = "warning";

    [Theory]
    [MemberData(nameof(DocumentedSamples))]
    public void Validate_DocumentedRequest_IsValidWithNoIssues(string sample)
    {
        var result = JobValidator.Validate(Samples.Load(sample));

        Assert.Empty(result.Issues);
        Assert.True(result.IsValid);
        Assert.Equal(sample, result.Job!.Function);
        Assert.Equal(VaceModels.International, result.Job.Model);
        Assert.True(result.Job.IdWasDerived);
        Assert.True(JobId.IsValid(result.Job.Id));
    }

    public static TheoryData<string> DocumentedSamples() => new(Samples.Documented);

    /// <summary>
    /// One rule broken at a time, starting from a documented request that validates clean: the result is
    /// exactly one issue with the expected severity, code and path.
    /// </summary>
    private static readonly Dictionary<string, (string Sample, Action<JsonObject> Break, string Severity, string Code, string Path)> Cases = new()
    {
        // Envelope.
        ["id with a space"] = ("video_edit", d => d["id"] = "spring campaign", Error, JobIssueCodes.InvalidId, "id"),
        ["id of 65 characters"] = ("video_edit", d => d["id"] = new string('a', 65), Error, JobIssueCodes.InvalidId, "id"),
        ["id with a trailing newline"] = ("video_edit", d => d["id"] = "abc\n", Error, JobIssueCodes.InvalidId, "id"),
        ["id in the derived ids' prefix"] = ("video_edit", d => d["id"] = "job-0123456789abcdef0123456789abcdef", Error, JobIssueCodes.InvalidId, "id"),
        ["id in the fresh ids' prefix"] = ("video_edit", d => d["id"] = "task-1", Error, JobIssueCodes.InvalidId, "id"),
        ["id in the idempotency-key ids' prefix"] = ("video_edit", d => d["id"] = "idem-abc", Error, JobIssueCodes.InvalidId, "id"),
        ["id a number"] = ("video_edit", d => d["id"] = 17, Error, JobIssueCodes.InvalidType, "id"),
        ["model unknown"] = ("video_edit", d => d["model"] = "wan2.2-vace-max", Error, JobIssueCodes.UnknownModel, "model"),
        ["model of the other region"] = ("video_edit", d => d["model"] = VaceModels.ChineseMainland, Error, JobIssueCodes.ModelRegionMismatch, "model"),
        ["model a number"] = ("video_edit", d => d["model"] = 2.1, Error, JobIssueCodes.InvalidType, "model"),
        ["callback_url relative"] = ("video_edit", d => d["callback_url"] = "hooks/vace", Error, JobIssueCodes.InvalidUrl, "callback_url"),
        ["callback_url ftp"] = ("video_edit", d => d["callback_url"] = "ftp://example.com/hook", Error, JobIssueCodes.InvalidUrl, "callback_url"),
        ["probe_inputs a string"] = ("video_edit", d => d["probe_inputs"] = "no", Error, JobIssueCodes.InvalidType, "probe_inputs"),
        ["output not an object"] = ("video_edit", d => d["output"] = "vace-output/x.mp4", Error, JobIssueCodes.InvalidType, "output"),
        ["output.container uppercase"] = ("video_edit", d => d["output"] = new JsonObject { ["container"] = "Vace-Output" }, Error, JobIssueCodes.InvalidValue, "output.container"),
        ["output.container double hyphen"] = ("video_edit", d => d["output"] = new JsonObject { ["container"] = "vace--output" }, Error, JobIssueCodes.InvalidValue, "output.container"),
        ["output.blob climbing out"] = ("video_edit", d => d["output"] = new JsonObject { ["blob"] = "a/../../b.mp4" }, Error, JobIssueCodes.InvalidValue, "output.blob"),
        ["output.blob with backslash"] = ("video_edit", d => d["output"] = new JsonObject { ["blob"] = "a\\b.mp4" }, Error, JobIssueCodes.InvalidValue, "output.blob"),
        ["output.container not on the allow-list"] = ("video_edit", d => d["output"] = new JsonObject { ["container"] = "other-videos" }, Error, JobIssueCodes.OutputContainerNotAllowed, "output.container"),
        ["output.blob absolute"] = ("video_edit", d => d["output"] = new JsonObject { ["blob"] = "/campaign/017.mp4" }, Error, JobIssueCodes.InvalidValue, "output.blob"),
        ["output.blob with a control character"] = ("video_edit", d => d["output"] = new JsonObject { ["blob"] = "a\u0000b.mp4" }, Error, JobIssueCodes.InvalidValue, "output.blob"),
        ["output.blob ending in a dot"] = ("video_edit", d => d["output"] = new JsonObject { ["blob"] = "campaign/017." }, Error, JobIssueCodes.InvalidValue, "output.blob"),
        ["output.blob of 1025 characters"] = ("video_edit", d => d["output"] = new JsonObject { ["blob"] = new string('a', 1025) }, Error, JobIssueCodes.InvalidValue, "output.blob"),
        ["output.blob whose manifest name is too long"] = ("video_edit", d => d["output"] = new JsonObject { ["blob"] = new string('a', 1015) + ".mp4" }, Error, JobIssueCodes.InvalidValue, "output.blob"),
        ["callback_url plain http"] = ("video_edit", d => d["callback_url"] = "http://example.com/hook", Error, JobIssueCodes.InvalidUrl, "callback_url"),
        ["output unknown field"] = ("video_edit", d => d["output"] = new JsonObject { ["tier"] = "cool" }, Warning, JobIssueCodes.UnknownField, "output.tier"),
        ["unknown top-level field"] = ("video_edit", d => d["resources"] = new JsonObject(), Warning, JobIssueCodes.UnknownField, "resources"),
        ["unknown field with an odd name"] = ("video_edit", d => Input(d)["a b\n"] = 1, Warning, JobIssueCodes.UnknownField, "input[\"a b\\n\"]"),

        // Shape of the request body.
        ["input missing"] = ("video_edit", d => d.Remove("input"), Error, JobIssueCodes.Required, "input"),
        ["input an array"] = ("video_edit", d => d["input"] = new JsonArray(), Error, JobIssueCodes.InvalidType, "input"),
        ["parameters a string"] = ("video_extension", d => d["parameters"] = "fast", Error, JobIssueCodes.InvalidType, "parameters"),
        ["function missing"] = ("video_extension", d => Input(d).Remove("function"), Error, JobIssueCodes.Required, "input.function"),
        ["function unknown"] = ("video_extension", d => Input(d)["function"] = "video_upscale", Error, JobIssueCodes.UnknownFunction, "input.function"),
        ["function a number"] = ("video_extension", d => Input(d)["function"] = 3, Error, JobIssueCodes.InvalidType, "input.function"),
        ["unknown input field"] = ("video_extension", d => Input(d)["seed"] = 7, Warning, JobIssueCodes.UnknownField, "input.seed"),
        ["unknown parameter"] = ("video_extension", d => Params(d)["watermark"] = true, Warning, JobIssueCodes.UnknownField, "parameters.watermark"),
        ["prompt_extend a string"] = ("video_extension", d => Params(d)["prompt_extend"] = "false", Error, JobIssueCodes.InvalidType, "parameters.prompt_extend"),

        // Prompt.
        ["prompt missing"] = ("video_extension", d => Input(d).Remove("prompt"), Error, JobIssueCodes.Required, "input.prompt"),
        ["prompt blank"] = ("video_extension", d => Input(d)["prompt"] = " \t\n", Error, JobIssueCodes.Blank, "input.prompt"),
        ["prompt a number"] = ("video_extension", d => Input(d)["prompt"] = 42, Error, JobIssueCodes.InvalidType, "input.prompt"),
        ["prompt of 801 characters"] = ("video_extension", d => Input(d)["prompt"] = new string('x', 801), Warning, JobIssueCodes.PromptTooLong, "input.prompt"),

        // URLs.
        ["video_url relative"] = ("video_outpainting", d => Input(d)["video_url"] = "clip.mp4", Error, JobIssueCodes.InvalidUrl, "input.video_url"),
        ["video_url with credentials"] = ("video_outpainting", d => Input(d)["video_url"] = "https://user:pw@example.com/a.mp4", Error, JobIssueCodes.InvalidUrl, "input.video_url"),
        ["video_url file scheme"] = ("video_outpainting", d => Input(d)["video_url"] = "file:///etc/passwd", Error, JobIssueCodes.InvalidUrl, "input.video_url"),
        ["video_url padded with spaces"] = ("video_outpainting", d => Input(d)["video_url"] = " https://example.com/a.mp4", Error, JobIssueCodes.InvalidUrl, "input.video_url"),
        ["video_url an object"] = ("video_outpainting", d => Input(d)["video_url"] = new JsonObject(), Error, JobIssueCodes.InvalidType, "input.video_url"),
        ["ref image not a string"] = ("image_reference", d => ((JsonArray)Input(d)["ref_images_url"]!)[1] = 5, Error, JobIssueCodes.InvalidType, "input.ref_images_url[1]"),
        ["ref image relative"] = ("image_reference", d => ((JsonArray)Input(d)["ref_images_url"]!)[1] = "bg.png", Error, JobIssueCodes.InvalidUrl, "input.ref_images_url[1]"),
        ["ref_images_url a string"] = ("image_reference", d => { Input(d)["ref_images_url"] = "https://example.com/a.png"; Params(d).Remove("obj_or_bg"); }, Error, JobIssueCodes.InvalidType, "input.ref_images_url"),

        // image_reference.
        ["image_reference without images"] = ("image_reference", d => { Input(d).Remove("ref_images_url"); }, Error, JobIssueCodes.Required, "input.ref_images_url"),
        ["image_reference with no images"] = ("image_reference", d => { Input(d)["ref_images_url"] = new JsonArray(); Params(d).Remove("obj_or_bg"); }, Error, JobIssueCodes.TooFewItems, "input.ref_images_url"),
        ["image_reference with 4 images"] = ("image_reference", d => { Input(d)["ref_images_url"] = Urls(4); Params(d)["obj_or_bg"] = new JsonArray("obj", "obj", "bg", "obj"); }, Warning, JobIssueCodes.ExtraItemsIgnored, "input.ref_images_url[3]"),
        ["obj_or_bg shorter than the images"] = ("image_reference", d => Params(d)["obj_or_bg"] = new JsonArray("obj"), Error, JobIssueCodes.LengthMismatch, "parameters.obj_or_bg"),
        ["obj_or_bg entry unknown"] = ("image_reference", d => Params(d)["obj_or_bg"] = new JsonArray("obj", "person"), Error, JobIssueCodes.InvalidValue, "parameters.obj_or_bg[1]"),
        ["obj_or_bg entry a number"] = ("image_reference", d => Params(d)["obj_or_bg"] = new JsonArray("obj", 1), Error, JobIssueCodes.InvalidType, "parameters.obj_or_bg[1]"),
        ["size not offered"] = ("image_reference", d => Params(d)["size"] = "1920*1080", Error, JobIssueCodes.InvalidValue, "parameters.size"),
        ["size with x"] = ("image_reference", d => Params(d)["size"] = "1280x720", Error, JobIssueCodes.InvalidValue, "parameters.size"),

        // video_repainting.
        ["repainting without video"] = ("video_repainting", d => Input(d).Remove("video_url"), Error, JobIssueCodes.Required, "input.video_url"),
        ["repainting without control_condition"] = ("video_repainting", d => Params(d).Remove("control_condition"), Error, JobIssueCodes.Required, "parameters.control_condition"),
        ["repainting without parameters"] = ("video_repainting", d => d.Remove("parameters"), Error, JobIssueCodes.Required, "parameters.control_condition"),
        ["control_condition unknown"] = ("video_repainting", d => Params(d)["control_condition"] = "canny", Error, JobIssueCodes.InvalidValue, "parameters.control_condition"),
        ["strength above 1"] = ("video_repainting", d => Params(d)["strength"] = 1.01, Error, JobIssueCodes.OutOfRange, "parameters.strength"),
        ["strength below 0"] = ("video_repainting", d => Params(d)["strength"] = -0.1, Error, JobIssueCodes.OutOfRange, "parameters.strength"),
        ["strength a string"] = ("video_repainting", d => Params(d)["strength"] = "0.5", Error, JobIssueCodes.InvalidType, "parameters.strength"),
        ["repainting with 2 images"] = ("video_repainting", d => Input(d)["ref_images_url"] = Urls(2), Error, JobIssueCodes.TooManyItems, "input.ref_images_url[1]"),
        ["repainting with empty images"] = ("video_repainting", d => Input(d)["ref_images_url"] = new JsonArray(), Error, JobIssueCodes.TooFewItems, "input.ref_images_url"),
        ["size on repainting"] = ("video_repainting", d => Params(d)["size"] = "1280*720", Warning, JobIssueCodes.NotApplicable, "parameters.size"),
        ["mask_type on repainting"] = ("video_repainting", d => Params(d)["mask_type"] = "fixed", Warning, JobIssueCodes.NotApplicable, "parameters.mask_type"),

        // video_edit.
        ["edit without video"] = ("video_edit", d => Input(d).Remove("video_url"), Error, JobIssueCodes.Required, "input.video_url"),
        ["edit with both masks"] = ("video_edit", d => Input(d)["mask_video_url"] = "https://example.com/mask.mp4", Error, JobIssueCodes.MutuallyExclusive, "input.mask_video_url"),
        ["edit with no mask"] = ("video_edit", d => { Input(d).Remove("mask_image_url"); Input(d).Remove("mask_frame_id"); }, Error, JobIssueCodes.RequiredOneOf, "input"),
        ["mask_frame_id negative"] = ("video_edit", d => Input(d)["mask_frame_id"] = -1, Error, JobIssueCodes.OutOfRange, "input.mask_frame_id"),
        ["mask_frame_id fractional"] = ("video_edit", d => Input(d)["mask_frame_id"] = 1.5, Error, JobIssueCodes.InvalidType, "input.mask_frame_id"),
        ["mask_frame_id with a mask video"] = ("video_edit", d => { Input(d).Remove("mask_image_url"); Input(d)["mask_video_url"] = "https://example.com/mask.mp4"; }, Error, JobIssueCodes.Requires, "input.mask_frame_id"),
        ["mask_type unknown"] = ("video_edit", d => Params(d)["mask_type"] = "follow", Error, JobIssueCodes.InvalidValue, "parameters.mask_type"),
        ["expand_ratio above 1"] = ("video_edit", d => Params(d)["expand_ratio"] = 1.2, Error, JobIssueCodes.OutOfRange, "parameters.expand_ratio"),
        ["expand_ratio with a fixed mask"] = ("video_edit", d => Params(d)["mask_type"] = "fixed", Warning, JobIssueCodes.NoEffect, "parameters.expand_ratio"),
        ["control_condition on edit"] = ("video_edit", d => Params(d)["control_condition"] = "depth", Warning, JobIssueCodes.NotApplicable, "parameters.control_condition"),
        ["edit with 2 images"] = ("video_edit", d => Input(d)["ref_images_url"] = Urls(2), Error, JobIssueCodes.TooManyItems, "input.ref_images_url[1]"),
        ["size not offered on edit"] = ("video_edit", d => Params(d)["size"] = "640*480", Error, JobIssueCodes.InvalidValue, "parameters.size"),

        // video_extension.
        ["extension without inputs"] = ("video_extension", d => Input(d).Remove("first_clip_url"), Error, JobIssueCodes.RequiredOneOf, "input"),
        ["video_url on extension"] = ("video_extension", d => Input(d)["video_url"] = "https://example.com/a.mp4", Warning, JobIssueCodes.NotApplicable, "input.video_url"),
        ["last_frame_url relative"] = ("video_extension", d => Input(d)["last_frame_url"] = "last.png", Error, JobIssueCodes.InvalidUrl, "input.last_frame_url"),

        // video_outpainting.
        ["outpainting without video"] = ("video_outpainting", d => Input(d).Remove("video_url"), Error, JobIssueCodes.Required, "input.video_url"),
        ["scale above 2"] = ("video_outpainting", d => Params(d)["left_scale"] = 2.5, Error, JobIssueCodes.OutOfRange, "parameters.left_scale"),
        ["scale below 1"] = ("video_outpainting", d => Params(d)["top_scale"] = 0.5, Error, JobIssueCodes.OutOfRange, "parameters.top_scale"),
        ["scale a string"] = ("video_outpainting", d => Params(d)["top_scale"] = "1.5", Error, JobIssueCodes.InvalidType, "parameters.top_scale"),
        ["every scale 1.0"] = ("video_outpainting", d => { foreach (var s in new[] { "top_scale", "bottom_scale", "left_scale", "right_scale" }) { Params(d)[s] = 1.0; } }, Warning, JobIssueCodes.NoEffect, "parameters"),
        ["no scale at all"] = ("video_outpainting", d => d["parameters"] = new JsonObject(), Warning, JobIssueCodes.NoEffect, "parameters"),
        ["strength on outpainting"] = ("video_outpainting", d => Params(d)["strength"] = 0.5, Warning, JobIssueCodes.NotApplicable, "parameters.strength"),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Validate_OneRuleBroken_ReportsExactlyThatIssue(string caseName)
    {
        var (sample, breakIt, severity, code, path) = Cases[caseName];
        var document = Samples.Load(sample);
        breakIt(document);

        var result = JobValidator.Validate(document);

        var issue = Assert.Single(result.Issues);
        Assert.Equal((severity, code, path), (issue.Severity.ToString().ToLowerInvariant(), issue.Code, issue.Path));
        Assert.False(string.IsNullOrWhiteSpace(issue.Message));
        Assert.Equal(severity == Warning, result.IsValid);
    }

    [Fact]
    public void Validate_ManyRulesBroken_ListsThemAll()
    {
        var result = JobValidator.Validate(Samples.Load("invalid-many-rules"));

        Assert.False(result.IsValid);
        Assert.Null(result.Job);
        Assert.Equal(
            [
                (JobIssueCodes.InvalidId, "id"),
                (JobIssueCodes.UnknownModel, "model"),
                (JobIssueCodes.InvalidUrl, "callback_url"),
                (JobIssueCodes.InvalidValue, "output.container"),
                (JobIssueCodes.InvalidValue, "output.blob"),
                (JobIssueCodes.Blank, "input.prompt"),
                (JobIssueCodes.InvalidType, "parameters.prompt_extend"),
                (JobIssueCodes.Required, "input.video_url"),
                (JobIssueCodes.Required, "parameters.control_condition"),
                (JobIssueCodes.OutOfRange, "parameters.strength"),
                (JobIssueCodes.TooManyItems, "input.ref_images_url[1]"),
            ],
            result.Issues.Select(i => (i.Code, i.Path)).OrderBy(_ => 0).ToArray());
        Assert.All(result.Issues, i => Assert.Equal(JobIssueSeverity.Error, i.Severity));
    }

    [Fact]
    public void Validate_BoundaryValues_AreAccepted()
    {
        var repainting = Samples.Load("video_repainting");
        Params(repainting)["strength"] = 0;
        var edit = Samples.Load("video_edit");
        Input(edit)["mask_frame_id"] = 0;
        Params(edit)["expand_ratio"] = 1.0;
        var outpainting = Samples.Load("video_outpainting");
        Params(outpainting)["left_scale"] = 2.0;
        Params(outpainting)["top_scale"] = 1;
        var reference = Samples.Load("image_reference");
        Input(reference)["ref_images_url"] = Urls(3);
        Params(reference)["obj_or_bg"] = new JsonArray("obj", "obj", "bg");

        Assert.All([repainting, edit, outpainting, reference], d => Assert.Empty(JobValidator.Validate(d).Issues));
    }

    [Fact]
    public void Validate_NullFields_CountAsAbsent()
    {
        var document = Samples.Load("video_edit");
        document["id"] = null;
        document["output"] = null;
        Params(document)["size"] = null;
        Input(document)["mask_video_url"] = null;

        var result = JobValidator.Validate(document);

        Assert.Empty(result.Issues);
        Assert.True(result.Job!.IdWasDerived);
    }

    [Fact]
    public void Validate_EveryExtensionInputAlone_IsEnough()
    {
        foreach (var field in new[] { "first_clip_url", "last_clip_url", "first_frame_url", "last_frame_url" })
        {
            var document = Samples.Load("video_extension");
            Input(document).Remove("first_clip_url");
            Input(document)[field] = "https://example.com/media";

            Assert.Empty(JobValidator.Validate(document).Issues);
        }
    }

    [Fact]
    public void Validate_BlobPipelineJob_AcceptsRelativeMediaNamesOnly()
    {
        var document = Samples.Load("video_edit");
        Input(document)["video_url"] = "clip.mp4";
        Input(document)["mask_image_url"] = "masks/frame-1.png";
        var options = new JobValidationOptions { AllowRelativeMediaNames = true };

        Assert.Empty(JobValidator.Validate(document, options).Issues);

        Input(document)["mask_image_url"] = "../other-job/mask.png";
        document["callback_url"] = "hook";
        var result = JobValidator.Validate(document, options);
        Assert.Equal(
            [(JobIssueCodes.InvalidUrl, "callback_url"), (JobIssueCodes.InvalidUrl, "input.mask_image_url")],
            result.Issues.Select(i => (i.Code, i.Path)).Order().ToArray());
    }

    [Theory]
    [InlineData(DashScopeRegion.International, VaceModels.International)]
    [InlineData(DashScopeRegion.ChineseMainland, VaceModels.ChineseMainland)]
    public void Validate_MissingModel_TakesTheRegionsModel(DashScopeRegion region, string expected)
    {
        var document = Samples.Load("video_extension");
        document.Remove("model");

        var job = JobValidator.Validate(document, new JobValidationOptions { Region = region }).Job;

        Assert.Equal(expected, job!.Model);
        Assert.Equal(expected, job.ToDashScopeRequest()["model"]!.GetValue<string>());
    }

    [Fact]
    public void Validate_MissingModel_TakesTheConfiguredModel()
    {
        var document = Samples.Load("video_extension");
        document.Remove("model");

        var job = JobValidator.Validate(document, new JobValidationOptions { Region = null, Model = VaceModels.ChineseMainland }).Job;

        Assert.Equal(VaceModels.ChineseMainland, job!.Model);
    }

    [Fact]
    public void Validate_ChineseMainlandModel_IsValidForTheBeijingEndpointAndAnyRegion()
    {
        var document = Samples.Load("video_extension");
        document["model"] = VaceModels.ChineseMainland;

        Assert.True(JobValidator.Validate(document, new JobValidationOptions { Region = DashScopeRegion.ChineseMainland }).IsValid);
        Assert.True(JobValidator.Validate(document, new JobValidationOptions { Region = null }).IsValid);
        Assert.False(JobValidator.Validate(document, new JobValidationOptions { Region = DashScopeRegion.International }).IsValid);
    }

    [Fact]
    public void Validate_GivenId_IsTheJobId()
    {
        var document = Samples.Load("video_edit");
        document["id"] = "spring-campaign_017";

        var job = JobValidator.Validate(document).Job!;

        Assert.Equal("spring-campaign_017", job.Id);
        Assert.False(job.IdWasDerived);
    }

    [Theory]
    [InlineData("job-")]
    [InlineData("task-")]
    [InlineData("idem-")]
    public void Validate_IdInAPrefixTheHostDerives_IsRefusedFromAClient_AndTakenFromTheHost(string prefix)
    {
        var document = Samples.Load("video_edit");
        document["id"] = prefix + "0123456789abcdef";

        var fromClient = JobValidator.Validate(document);
        var fromHost = JobValidator.Validate(document, new JobValidationOptions { IdAssignedByHost = true });

        var issue = Assert.Single(fromClient.Errors);
        Assert.Equal((JobIssueCodes.InvalidId, "id"), (issue.Code, issue.Path));
        Assert.Contains($"'{prefix}'", issue.Message, StringComparison.Ordinal);
        Assert.Equal(prefix + "0123456789abcdef", fromHost.Job!.Id);
    }

    [Theory]
    [InlineData("jobs-2024")]
    [InlineData("JOB-1")]
    [InlineData("my-job-1")]
    [InlineData("tasks")]
    public void Validate_IdThatOnlyLooksLikeADerivedOne_IsAccepted(string id)
    {
        var document = Samples.Load("video_edit");
        document["id"] = id;

        Assert.Equal(id, JobValidator.Validate(document).Job!.Id);
    }

    [Fact]
    public void Validate_MessageQuotingHostileText_HasNoControlCharacters()
    {
        var document = Samples.Load("video_edit");
        Input(document)["video_url"] = "\u001b[31mred\nline" + new string('x', 500);

        var issue = Assert.Single(JobValidator.Validate(document).Issues);

        Assert.DoesNotContain(issue.Message, char.IsControl);
        Assert.True(issue.Message.Length < 300);
    }

    [Fact]
    public void Validate_OutputContainerOnTheAllowList_IsAccepted()
    {
        var document = Samples.Load("video_edit");
        document["output"] = new JsonObject { ["container"] = "campaign-videos", ["blob"] = "campaign/017.mp4" };

        var result = JobValidator.Validate(document, new JobValidationOptions { OutputContainers = ["vace-output", "campaign-videos"] });

        Assert.Empty(result.Issues);
        Assert.Equal("campaign-videos", result.Job!.Document.Output!.Container);
    }

    [Theory]
    [InlineData("vace-state")]
    [InlineData("vace-inbox")]
    [InlineData("vacehub-leases")]
    [InlineData("vacehub-largemessages")]
    [InlineData("otherhub-applease")]
    [InlineData("azure-webjobs-hosts")]
    public void Validate_WorkflowsOwnContainer_IsRefusedEvenWhenAllowListed(string container)
    {
        var writable = OutputConfinement.WritableContainers("vace-output", ["campaign-videos", container], "vace-state", "vace-inbox");
        var document = Samples.Load("video_edit");
        document["output"] = new JsonObject { ["container"] = container };

        var issue = Assert.Single(JobValidator.Validate(document, new JobValidationOptions { OutputContainers = writable }).Issues);

        Assert.Equal(["vace-output", "campaign-videos"], writable);
        Assert.Equal((JobIssueCodes.OutputContainerNotAllowed, "output.container"), (issue.Code, issue.Path));
        Assert.Contains("vace-output, campaign-videos", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PlainHttpCallbackWhereLoopbackIsAllowed_IsAccepted()
    {
        var document = Samples.Load("video_edit");
        document["callback_url"] = "http://127.0.0.1:5000/hooks/vace";

        Assert.Empty(JobValidator.Validate(document, new JobValidationOptions { AllowHttpCallbackUrls = true }).Issues);
    }

    [Theory]
    [InlineData("job-1/output.mp4", "job-1/result.json")]
    [InlineData("output.mp4", "result.json")]
    [InlineData("campaign/017.mp4", "campaign/017.result.json")]
    [InlineData("campaign/017", "campaign/017.result.json")]
    [InlineData("campaign/result.json", "campaign/result.result.json")]
    [InlineData("a.b/.hidden", "a.b/.hidden.result.json")]
    public void ManifestBlobFor_IsBesideTheVideoAndItsOwn(string video, string manifest)
    {
        Assert.Equal(manifest, StorageNames.ManifestBlobFor(video));
        Assert.NotEqual(video, StorageNames.ManifestBlobFor(video));
    }

    [Fact]
    public void Validate_UnreadableBytes_GiveTheReadError()
    {
        var result = JobValidator.Validate("[1, 2]"u8);

        var issue = Assert.Single(result.Issues);
        Assert.Equal((JobIssueCodes.NotAnObject, JobIssue.RootPath), (issue.Code, issue.Path));
    }

    private static JsonObject Input(JsonObject document) => (JsonObject)document["input"]!;

    private static JsonObject Params(JsonObject document) => (JsonObject)(document["parameters"] ??= new JsonObject());

    private static JsonArray Urls(int count) =>
        new(Enumerable.Range(1, count).Select(i => (JsonNode?)JsonValue.Create($"https://example.com/ref-{i}.png")).ToArray());
}
