namespace VaceFunctions.Orchestrations.Jobs;

/// <summary>
/// The stable codes of <see cref="JobIssue"/>. Clients may switch on them; never rename one.
/// </summary>
public static class JobIssueCodes
{
    // The document as a whole.
    public const string DocumentTooLarge = "document_too_large";
    public const string InvalidJson = "invalid_json";
    public const string NotAnObject = "not_an_object";

    // Errors.
    public const string Required = "required";
    public const string RequiredOneOf = "required_one_of";
    public const string MutuallyExclusive = "mutually_exclusive";
    public const string Requires = "requires";
    public const string Blank = "blank";
    public const string InvalidType = "invalid_type";
    public const string InvalidValue = "invalid_value";
    public const string OutOfRange = "out_of_range";
    public const string InvalidUrl = "invalid_url";
    public const string TooFewItems = "too_few_items";
    public const string TooManyItems = "too_many_items";
    public const string LengthMismatch = "length_mismatch";
    public const string UnknownFunction = "unknown_function";
    public const string UnknownModel = "unknown_model";
    public const string ModelRegionMismatch = "model_region_mismatch";
    public const string InvalidId = "invalid_id";

    /// <summary>output.container names a container jobs may not write to: not on the allow-list, or the workflow's own.</summary>
    public const string OutputContainerNotAllowed = "output_container_not_allowed";

    // Warnings.
    public const string UnknownField = "unknown_field";
    public const string NotApplicable = "not_applicable";
    public const string PromptTooLong = "prompt_too_long";
    public const string ExtraItemsIgnored = "extra_items_ignored";
    public const string NoEffect = "no_effect";

    /// <summary>A documented example URL was replaced by the local DashScope simulator's sample media (<see cref="Intake.MediaSubstitution"/>).</summary>
    public const string MediaSubstituted = "media_substituted";

    /// <summary>The job was submitted again after an attempt whose outcome is unknown (<c>Vace:ResubmitInterrupted</c>).</summary>
    public const string SubmittedAgain = "submitted_again";
}
