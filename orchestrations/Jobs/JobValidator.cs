using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaceFunctions.Orchestrations.DashScope;

namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// Checks a job document against every rule of the five VACE functions and the project's envelope, and
/// reports all problems at once: errors reject the job, warnings travel with it. Never throws for any
/// document; a document with no errors comes back as a <see cref="VaceJob"/>.
/// </summary>
public static class JobValidator
{
    /// <summary>Prompts longer than this are truncated by the service.</summary>
    public const int MaxPromptCharacters = 800;

    /// <summary>The output sizes the service accepts, as width*height.</summary>
    public static IReadOnlyList<string> Sizes { get; } = ["1280*720", "720*1280", "960*960", "832*1088", "1088*832"];

    public static IReadOnlyList<string> ControlConditions { get; } = ["posebodyface", "posebody", "depth", "scribble"];

    public static IReadOnlyList<string> MaskTypes { get; } = ["tracking", "fixed"];

    public static IReadOnlyList<string> ObjOrBgValues { get; } = ["obj", "bg"];

    /// <summary>Reads and validates a UTF-8 document; a document that cannot be read gives that one error.</summary>
    public static JobValidationResult Validate(ReadOnlySpan<byte> utf8, JobValidationOptions? options = null)
    {
        var read = JobDocumentReader.Read(utf8);
        return read.Succeeded ? Validate(read.Document, options) : new JobValidationResult([read.Error], null);
    }

    /// <summary>Validates a parsed document.</summary>
    public static JobValidationResult Validate(JsonObject document, JobValidationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new Run(document, options ?? JobValidationOptions.Default).Execute();
    }

    private enum Kind
    {
        String,
        Boolean,
        Number,
        Integer,
        MediaUrl,
        MediaUrlArray,
        StringArray,
    }

    /// <summary>A known field: its JSON type and the functions it applies to (all when empty).</summary>
    private sealed record Field(string Name, Kind Kind, params string[] Functions)
    {
        public bool AppliesTo(string function) => Functions.Length == 0 || Functions.Contains(function);
    }

    private static readonly string[] EnvelopeFields =
        [JobFields.Id, JobFields.Model, JobFields.Input, JobFields.Parameters, JobFields.Output, JobFields.CallbackUrl, JobFields.ProbeInputs, JobFields.TraceParent];

    private static readonly string[] OutputFields = [JobFields.Container, JobFields.Blob];

    private static readonly Field[] InputFields =
    [
        new(JobFields.Prompt, Kind.String),
        new(JobFields.RefImagesUrl, Kind.MediaUrlArray, VaceFunctionNames.ImageReference, VaceFunctionNames.VideoRepainting, VaceFunctionNames.VideoEdit),
        new(JobFields.VideoUrl, Kind.MediaUrl, VaceFunctionNames.VideoRepainting, VaceFunctionNames.VideoEdit, VaceFunctionNames.VideoOutpainting),
        new(JobFields.MaskImageUrl, Kind.MediaUrl, VaceFunctionNames.VideoEdit),
        new(JobFields.MaskVideoUrl, Kind.MediaUrl, VaceFunctionNames.VideoEdit),
        new(JobFields.MaskFrameId, Kind.Integer, VaceFunctionNames.VideoEdit),
        new(JobFields.FirstClipUrl, Kind.MediaUrl, VaceFunctionNames.VideoExtension),
        new(JobFields.LastClipUrl, Kind.MediaUrl, VaceFunctionNames.VideoExtension),
        new(JobFields.FirstFrameUrl, Kind.MediaUrl, VaceFunctionNames.VideoExtension),
        new(JobFields.LastFrameUrl, Kind.MediaUrl, VaceFunctionNames.VideoExtension),
    ];

    private static readonly Field[] ParameterFields =
    [
        new(JobFields.PromptExtend, Kind.Boolean),
        new(JobFields.Size, Kind.String, VaceFunctionNames.ImageReference, VaceFunctionNames.VideoEdit),
        new(JobFields.ObjOrBg, Kind.StringArray, VaceFunctionNames.ImageReference),
        new(JobFields.ControlCondition, Kind.String, VaceFunctionNames.VideoRepainting),
        new(JobFields.Strength, Kind.Number, VaceFunctionNames.VideoRepainting),
        new(JobFields.MaskType, Kind.String, VaceFunctionNames.VideoEdit),
        new(JobFields.ExpandRatio, Kind.Number, VaceFunctionNames.VideoEdit),
        new(JobFields.TopScale, Kind.Number, VaceFunctionNames.VideoOutpainting),
        new(JobFields.BottomScale, Kind.Number, VaceFunctionNames.VideoOutpainting),
        new(JobFields.LeftScale, Kind.Number, VaceFunctionNames.VideoOutpainting),
        new(JobFields.RightScale, Kind.Number, VaceFunctionNames.VideoOutpainting),
    ];

    private static readonly string[] ExtensionInputs =
        [JobFields.FirstClipUrl, JobFields.LastClipUrl, JobFields.FirstFrameUrl, JobFields.LastFrameUrl];

    private static readonly string[] Scales =
        [JobFields.TopScale, JobFields.BottomScale, JobFields.LeftScale, JobFields.RightScale];

    /// <summary>One validation of one document; collects issues as it goes.</summary>
    private sealed class Run(JsonObject document, JobValidationOptions options)
    {
        private readonly List<JobIssue> _issues = [];

        // Fields of input and parameters (their names do not overlap) that are present and non-null...
        private readonly HashSet<string> _present = [];

        // ...and of those, the ones that have the right JSON type and apply to the job's function.
        private readonly Dictionary<string, JsonNode> _usable = [];

        public JobValidationResult Execute()
        {
            var id = CheckId();
            var model = CheckModel();
            CheckCallbackUrl();
            CheckOutput();
            if (Get(document, JobFields.ProbeInputs) is { } probe && probe.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                TypeError(JobFields.ProbeInputs, "true or false");
            }

            if (Get(document, JobFields.TraceParent) is not null && Telemetry.JobTraceContext.Of(document) is null)
            {
                // Tracing never stops a job: a traceparent that cannot be read starts a trace of its own.
                Warning(JobIssueCodes.InvalidValue, JobFields.TraceParent, "not a W3C traceparent (00-{32 hex trace id}-{16 hex span id}-{2 hex flags}); the job starts a trace of its own.");
            }

            WarnUnknown(document, null, EnvelopeFields);

            var input = ObjectField(document, JobFields.Input, required: true);
            var parameters = ObjectField(document, JobFields.Parameters, required: false);
            var function = input is null ? null : CheckFunction(input);
            if (input is not null)
            {
                CheckFields(input, JobFields.Input, InputFields, function);
                CheckPrompt();
            }

            if (parameters is not null)
            {
                CheckFields(parameters, JobFields.Parameters, ParameterFields, function);
            }

            switch (function)
            {
                case VaceFunctionNames.ImageReference: CheckImageReference(); break;
                case VaceFunctionNames.VideoRepainting: CheckVideoRepainting(); break;
                case VaceFunctionNames.VideoEdit: CheckVideoEdit(); break;
                case VaceFunctionNames.VideoExtension: CheckVideoExtension(); break;
                case VaceFunctionNames.VideoOutpainting: CheckVideoOutpainting(); break;
            }

            if (_issues.Any(i => i.Severity == JobIssueSeverity.Error))
            {
                return new JobValidationResult(_issues, null);
            }

            var typed = document.Deserialize(JobJsonContext.Default.VaceJobDocument)!;
            var job = new VaceJob(id ?? JobId.Derive(document), id is null, model!, typed, _issues.ToArray());
            return new JobValidationResult(_issues, job);
        }

        // ---- envelope -------------------------------------------------------------------------------------

        private string? CheckId()
        {
            if (Get(document, JobFields.Id) is not { } node)
            {
                return null;
            }

            if (!IsString(node, out var id))
            {
                TypeError(JobFields.Id, "a string");
                return null;
            }

            if (!JobId.IsValid(id))
            {
                Error(JobIssueCodes.InvalidId, JobFields.Id,
                    $"A job id is 1–{JobId.MaxLength} characters of letters, digits, '-' and '_'; got \"{Shorten(id)}\". Leave it out to have one derived from the document.");
            }
            else if (!options.IdAssignedByHost && JobId.IsReserved(id))
            {
                Error(JobIssueCodes.InvalidId, JobFields.Id,
                    $"A job id may not start with {string.Join(", ", JobId.ReservedPrefixes.Select(p => $"'{p}'"))}: the host derives ids with them. Choose another id, or leave it out to have one derived from the document.");
            }

            return id;
        }

        private string? CheckModel()
        {
            if (Get(document, JobFields.Model) is not { } node)
            {
                return options.DefaultModel;
            }

            if (!IsString(node, out var model))
            {
                TypeError(JobFields.Model, "a string");
                return null;
            }

            var region = VaceModels.RegionOf(model);
            if (region is null)
            {
                Error(JobIssueCodes.UnknownModel, JobFields.Model,
                    $"\"{Shorten(model)}\" is not a Wan VACE model; use {string.Join(" or ", VaceModels.All)} (or leave model out).");
            }
            else if (options.Region is { } configured && region != configured)
            {
                Error(JobIssueCodes.ModelRegionMismatch, JobFields.Model,
                    $"{model} belongs to the {Describe(region.Value)} region but the configured endpoint is in the {Describe(configured)} region; use {VaceModels.ForRegion(configured)} (or leave model out).");
            }

            return model;
        }

        private void CheckCallbackUrl()
        {
            if (Get(document, JobFields.CallbackUrl) is not { } node)
            {
                return;
            }

            if (!IsString(node, out var url))
            {
                TypeError(JobFields.CallbackUrl, "a string");
            }
            else if (!MediaUrls.IsHttpUrl(url))
            {
                Error(JobIssueCodes.InvalidUrl, JobFields.CallbackUrl,
                    $"callback_url must be an absolute http(s) URL with a host and no credentials; got \"{Shorten(url)}\".");
            }
            else if (!options.AllowHttpCallbackUrls && !url.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
            {
                Error(JobIssueCodes.InvalidUrl, JobFields.CallbackUrl,
                    $"callback_url must be https: it carries the job's result (plain http only where Vace:AllowLoopbackUrls is on, for local development); got \"{Shorten(url)}\".");
            }
        }

        private void CheckOutput()
        {
            if (ObjectField(document, JobFields.Output, required: false) is not { } output)
            {
                return;
            }

            WarnUnknown(output, JobFields.Output, OutputFields);
            var containerPath = Join(JobFields.Output, JobFields.Container);
            if (Get(output, JobFields.Container) is { } containerNode)
            {
                if (!IsString(containerNode, out var container))
                {
                    TypeError(containerPath, "a string");
                }
                else if (!StorageNames.IsValidContainerName(container))
                {
                    Error(JobIssueCodes.InvalidValue, containerPath,
                        $"\"{Shorten(container)}\" is not a valid container name: 3–63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.");
                }
                else if (!options.OutputContainers.Contains(container))
                {
                    Error(JobIssueCodes.OutputContainerNotAllowed, containerPath,
                        $"A job may write only to {string.Join(", ", options.OutputContainers)}, not \"{container}\". Other containers are added with Vace:AllowedOutputContainers; the workflow's own (state, inbox, task hub) never are. Leave output.container out for the default.");
                }
            }

            var blobPath = Join(JobFields.Output, JobFields.Blob);
            if (Get(output, JobFields.Blob) is { } blobNode)
            {
                if (!IsString(blobNode, out var blob))
                {
                    TypeError(blobPath, "a string");
                }
                else if (!StorageNames.IsValidBlobName(blob) || !StorageNames.IsValidBlobName(StorageNames.ManifestBlobFor(blob)))
                {
                    Error(JobIssueCodes.InvalidValue, blobPath,
                        $"\"{Shorten(blob)}\" is not a valid blob name: 1–{StorageNames.MaxBlobNameLength} characters with its manifest's name, in '/'-separated segments, none empty, '.' or '..' or ending in '.', no leading '/', backslash or control character.");
                }
            }
        }

        // ---- input and parameters -------------------------------------------------------------------------

        private string? CheckFunction(JsonObject input)
        {
            var path = Join(JobFields.Input, JobFields.Function);
            if (Get(input, JobFields.Function) is not { } node)
            {
                Error(JobIssueCodes.Required, path,
                    $"input.function is required: one of {string.Join(", ", VaceFunctionNames.All)}.");
                return null;
            }

            if (!IsString(node, out var function))
            {
                TypeError(path, "a string");
                return null;
            }

            if (!VaceFunctionNames.All.Contains(function))
            {
                Error(JobIssueCodes.UnknownFunction, path,
                    $"\"{Shorten(function)}\" is not a VACE function; use one of {string.Join(", ", VaceFunctionNames.All)}.");
                return null;
            }

            return function;
        }

        private void CheckFields(JsonObject obj, string objectPath, Field[] fields, string? function)
        {
            foreach (var (name, node) in obj)
            {
                if (objectPath == JobFields.Input && name == JobFields.Function)
                {
                    continue;
                }

                var path = Join(objectPath, name);
                var field = Array.Find(fields, f => f.Name == name);
                if (field is null)
                {
                    Warning(JobIssueCodes.UnknownField, path,
                        $"{path} is not a known VACE field; it is passed to the service unchanged.");
                    continue;
                }

                if (node is null)
                {
                    continue;
                }

                _present.Add(name);
                if (!HasKind(node, field.Kind, path))
                {
                    continue;
                }

                if (function is not null && !field.AppliesTo(function))
                {
                    Warning(JobIssueCodes.NotApplicable, path,
                        $"{path} does not apply to {function} and is ignored by the service (it applies to {string.Join(", ", field.Functions)}).");
                    continue;
                }

                _usable[name] = node;
            }
        }

        /// <summary>Checks a value's JSON type (and, for URLs, their form); reports and returns false when wrong.</summary>
        private bool HasKind(JsonNode node, Kind kind, string path)
        {
            switch (kind)
            {
                case Kind.String:
                    return IsString(node, out _) || TypeError(path, "a string");
                case Kind.Boolean:
                    return node.GetValueKind() is JsonValueKind.True or JsonValueKind.False || TypeError(path, "true or false");
                case Kind.Number:
                    return IsNumber(node, out _) || TypeError(path, "a number");
                case Kind.Integer:
                    return IsInteger(node, out _) || TypeError(path, "a whole number");
                case Kind.MediaUrl:
                    return IsString(node, out var url) ? CheckMediaUrl(url, path) : TypeError(path, "a URL string");
                case Kind.MediaUrlArray:
                    if (node is not JsonArray urls)
                    {
                        return TypeError(path, "an array of URL strings");
                    }

                    for (var i = 0; i < urls.Count; i++)
                    {
                        var itemPath = $"{path}[{i}]";
                        if (urls[i] is not { } item || !IsString(item, out var itemUrl))
                        {
                            TypeError(itemPath, "a URL string");
                        }
                        else
                        {
                            CheckMediaUrl(itemUrl, itemPath);
                        }
                    }

                    return true;
                case Kind.StringArray:
                    if (node is not JsonArray strings)
                    {
                        return TypeError(path, "an array of strings");
                    }

                    for (var i = 0; i < strings.Count; i++)
                    {
                        if (strings[i] is not { } item || !IsString(item, out _))
                        {
                            TypeError($"{path}[{i}]", "a string");
                        }
                    }

                    return true;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
            }
        }

        private bool CheckMediaUrl(string url, string path)
        {
            if (MediaUrls.IsHttpUrl(url) || (options.AllowRelativeMediaNames && MediaUrls.IsRelativeMediaName(url)))
            {
                return true;
            }

            var allowed = options.AllowRelativeMediaNames
                ? "an absolute http(s) URL with a host, or the name of a blob beside the job file"
                : "an absolute http(s) URL with a host and no credentials, that the service can fetch";
            Error(JobIssueCodes.InvalidUrl, path, $"{path} must be {allowed}; got \"{Shorten(url)}\".");
            return true;
        }

        private void CheckPrompt()
        {
            const string path = JobFields.Input + "." + JobFields.Prompt;
            if (!_present.Contains(JobFields.Prompt))
            {
                Error(JobIssueCodes.Required, path, "input.prompt is required: describe the video you want.");
            }
            else if (String(JobFields.Prompt) is { } prompt)
            {
                if (string.IsNullOrWhiteSpace(prompt))
                {
                    Error(JobIssueCodes.Blank, path, "input.prompt is blank: describe the video you want.");
                }
                else if (prompt.EnumerateRunes().Count() is var length && length > MaxPromptCharacters)
                {
                    Warning(JobIssueCodes.PromptTooLong, path,
                        $"input.prompt has {length} characters; the service uses only the first {MaxPromptCharacters}.");
                }
            }
        }

        // ---- the five functions ---------------------------------------------------------------------------

        private void CheckImageReference()
        {
            Require(JobFields.Input, JobFields.RefImagesUrl, "1–3 reference image URLs");
            var images = _usable.GetValueOrDefault(JobFields.RefImagesUrl) as JsonArray;
            var imagesPath = Join(JobFields.Input, JobFields.RefImagesUrl);
            if (images is { Count: 0 })
            {
                Error(JobIssueCodes.TooFewItems, imagesPath, "image_reference needs 1–3 reference images; the array is empty.");
            }
            else if (images is { Count: > 3 })
            {
                Warning(JobIssueCodes.ExtraItemsIgnored, $"{imagesPath}[3]",
                    $"image_reference uses at most 3 reference images; the service ignores the other {images.Count - 3}.");
            }

            var objOrBgPath = Join(JobFields.Parameters, JobFields.ObjOrBg);
            if (_usable.GetValueOrDefault(JobFields.ObjOrBg) is JsonArray objOrBg)
            {
                for (var i = 0; i < objOrBg.Count; i++)
                {
                    if (objOrBg[i] is { } item && IsString(item, out var value) && !ObjOrBgValues.Contains(value))
                    {
                        Error(JobIssueCodes.InvalidValue, $"{objOrBgPath}[{i}]",
                            $"Each obj_or_bg entry is \"obj\" (subject) or \"bg\" (background); got \"{Shorten(value)}\".");
                    }
                }

                if (images is not null && images.Count != objOrBg.Count)
                {
                    Error(JobIssueCodes.LengthMismatch, objOrBgPath,
                        $"obj_or_bg has {objOrBg.Count} entries but ref_images_url has {images.Count}; give one entry per image.");
                }
            }

            CheckSize();
        }

        private void CheckVideoRepainting()
        {
            Require(JobFields.Input, JobFields.VideoUrl, "the URL of the MP4 video to repaint");
            Require(JobFields.Parameters, JobFields.ControlCondition, $"one of {string.Join(", ", ControlConditions)}");
            CheckEnum(JobFields.Parameters, JobFields.ControlCondition, ControlConditions);
            CheckRange(JobFields.Parameters, JobFields.Strength, 0.0, 1.0);
            CheckSingleImage();
        }

        private void CheckVideoEdit()
        {
            Require(JobFields.Input, JobFields.VideoUrl, "the URL of the MP4 video to edit");
            var hasMaskImage = _present.Contains(JobFields.MaskImageUrl);
            var hasMaskVideo = _present.Contains(JobFields.MaskVideoUrl);
            if (hasMaskImage && hasMaskVideo)
            {
                Error(JobIssueCodes.MutuallyExclusive, Join(JobFields.Input, JobFields.MaskVideoUrl),
                    "Give exactly one of input.mask_image_url and input.mask_video_url, not both.");
            }
            else if (!hasMaskImage && !hasMaskVideo)
            {
                Error(JobIssueCodes.RequiredOneOf, JobFields.Input,
                    "video_edit needs a mask: input.mask_image_url (recommended) or input.mask_video_url.");
            }

            var frameIdPath = Join(JobFields.Input, JobFields.MaskFrameId);
            if (_usable.GetValueOrDefault(JobFields.MaskFrameId) is { } frameNode && IsInteger(frameNode, out var frameId) && frameId < 0)
            {
                Error(JobIssueCodes.OutOfRange, frameIdPath, $"input.mask_frame_id is a frame index, 0 or more; got {frameId}.");
            }

            if (_present.Contains(JobFields.MaskFrameId) && hasMaskVideo && !hasMaskImage)
            {
                Error(JobIssueCodes.Requires, frameIdPath,
                    "input.mask_frame_id says which frame a mask image belongs to; it goes with input.mask_image_url, not input.mask_video_url.");
            }

            CheckEnum(JobFields.Parameters, JobFields.MaskType, MaskTypes);
            CheckRange(JobFields.Parameters, JobFields.ExpandRatio, 0.0, 1.0);
            if (_usable.ContainsKey(JobFields.ExpandRatio) && String(JobFields.MaskType) == "fixed")
            {
                Warning(JobIssueCodes.NoEffect, Join(JobFields.Parameters, JobFields.ExpandRatio),
                    "parameters.expand_ratio only takes effect when mask_type is tracking; with fixed it is ignored.");
            }

            CheckSingleImage();
            CheckSize();
        }

        private void CheckVideoExtension()
        {
            if (!ExtensionInputs.Any(_present.Contains))
            {
                Error(JobIssueCodes.RequiredOneOf, JobFields.Input,
                    $"video_extension needs at least one of {string.Join(", ", ExtensionInputs.Select(f => Join(JobFields.Input, f)))}.");
            }
        }

        private void CheckVideoOutpainting()
        {
            Require(JobFields.Input, JobFields.VideoUrl, "the URL of the MP4 video to expand");
            var inRange = Scales.Select(scale => CheckRange(JobFields.Parameters, scale, 1.0, 2.0)).ToArray();
            var expands = Scales.Any(scale => _usable.TryGetValue(scale, out var node) && IsNumber(node, out var value) && value != 1.0);
            if (inRange.All(ok => ok) && !expands)
            {
                Warning(JobIssueCodes.NoEffect, JobFields.Parameters,
                    "Every scale (top_scale, bottom_scale, left_scale, right_scale) is 1.0: nothing to expand. Set at least one between 1.0 and 2.0.");
            }
        }

        // ---- shared rules ---------------------------------------------------------------------------------

        private void Require(string objectPath, string name, string what)
        {
            if (!_present.Contains(name))
            {
                var path = Join(objectPath, name);
                Error(JobIssueCodes.Required, path, $"{path} is required: {what}.");
            }
        }

        private void CheckEnum(string objectPath, string name, IReadOnlyList<string> allowed)
        {
            if (String(name) is { } value && !allowed.Contains(value))
            {
                Error(JobIssueCodes.InvalidValue, Join(objectPath, name),
                    $"{Join(objectPath, name)} must be one of {string.Join(", ", allowed)}; got \"{Shorten(value)}\".");
            }
        }

        /// <summary>Reports a number outside [min, max]; returns false when it did.</summary>
        private bool CheckRange(string objectPath, string name, double min, double max)
        {
            if (!_usable.TryGetValue(name, out var node) || !IsNumber(node, out var value) || (value >= min && value <= max))
            {
                return true;
            }

            Error(JobIssueCodes.OutOfRange, Join(objectPath, name),
                $"{Join(objectPath, name)} must be from {min.ToString("0.0", CultureInfo.InvariantCulture)} to {max.ToString("0.0", CultureInfo.InvariantCulture)}; got {value.ToString(CultureInfo.InvariantCulture)}.");
            return false;
        }

        private void CheckSize()
        {
            CheckEnum(JobFields.Parameters, JobFields.Size, Sizes);
        }

        /// <summary>video_repainting and video_edit take one optional reference image.</summary>
        private void CheckSingleImage()
        {
            if (_usable.GetValueOrDefault(JobFields.RefImagesUrl) is JsonArray { Count: not 1 } images)
            {
                var path = Join(JobFields.Input, JobFields.RefImagesUrl);
                if (images.Count == 0)
                {
                    Error(JobIssueCodes.TooFewItems, path, "input.ref_images_url is empty; give one reference image or leave the field out.");
                }
                else
                {
                    Error(JobIssueCodes.TooManyItems, $"{path}[1]", $"This function takes at most 1 reference image; got {images.Count}.");
                }
            }
        }

        // ---- plumbing -------------------------------------------------------------------------------------

        private JsonObject? ObjectField(JsonObject parent, string name, bool required)
        {
            switch (Get(parent, name))
            {
                case JsonObject obj:
                    return obj;
                case null when required:
                    Error(JobIssueCodes.Required, name, $"{name} is required: an object with the request's fields.");
                    return null;
                case null:
                    return null;
                default:
                    TypeError(name, "an object");
                    return null;
            }
        }

        private void WarnUnknown(JsonObject obj, string? objectPath, string[] known)
        {
            foreach (var (name, _) in obj)
            {
                if (!known.Contains(name))
                {
                    var path = Join(objectPath, name);
                    Warning(JobIssueCodes.UnknownField, path, $"{path} is not a known field; it is passed to the service unchanged.");
                }
            }
        }

        private string? String(string name) => _usable.TryGetValue(name, out var node) && IsString(node, out var value) ? value : null;

        private bool TypeError(string path, string expected)
        {
            Error(JobIssueCodes.InvalidType, path, $"{path} must be {expected}.");
            return false;
        }

        private void Error(string code, string path, string message) => _issues.Add(JobIssue.Error(code, path, message));

        private void Warning(string code, string path, string message) => _issues.Add(JobIssue.Warning(code, path, message));
    }

    // JSON null counts as absent: generated documents often carry nulls for unset fields.
    private static JsonNode? Get(JsonObject obj, string name) => obj.TryGetPropertyValue(name, out var node) ? node : null;

    /// <summary>
    /// The path of a member: <c>input.prompt</c>; a name that is not a plain identifier (an unknown key can be
    /// anything, including control characters) is quoted as JSON: <c>input["a b"]</c>.
    /// </summary>
    private static string Join(string? objectPath, string name)
    {
        if (!IsPlainName(name))
        {
            return $"{objectPath}[{JsonValue.Create(name).ToJsonString()}]";
        }

        return objectPath is null ? name : $"{objectPath}.{name}";
    }

    private static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 64 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static bool IsString(JsonNode node, out string value)
    {
        if (node.GetValueKind() == JsonValueKind.String)
        {
            value = node.GetValue<string>();
            return true;
        }

        value = "";
        return false;
    }

    // Numbers are read from their JSON text, so a parsed document and one built in code (JsonValue.Create(1))
    // are judged alike, and exactly as the typed model will read them.
    private static bool IsNumber(JsonNode node, out double value)
    {
        value = 0;
        return node.GetValueKind() == JsonValueKind.Number
            && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    private static bool IsInteger(JsonNode node, out int value)
    {
        value = 0;
        return node.GetValueKind() == JsonValueKind.Number
            && int.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    private static string Describe(DashScopeRegion region) => region switch
    {
        DashScopeRegion.International => "international (Singapore)",
        _ => "Chinese Mainland (Beijing)",
    };

    /// <summary>
    /// Quotes untrusted text in a message without letting a huge value flood it or control characters
    /// (terminal escapes, newlines) reach a console or log.
    /// </summary>
    private static string Shorten(string value)
    {
        var shown = value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 77), "...");
        return string.Create(shown.Length, shown, static (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                span[i] = char.IsControl(text[i]) ? '?' : text[i];
            }
        });
    }
}
