//! The command-line vocabulary (clap types only). Validation and defaults live in `options.rs`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  espresso new orders                      a service with Docker, compose, Kubernetes and GitHub Actions
  espresso new orders --database postgres --cache redis
  espresso new orders --deploy docker --ci gitlab --node 26
  espresso new orders --deploy none --ci none --yes
  espresso new orders --dry-run            show what would be written, write nothing
  espresso -C ~/src new orders             run as if started in ~/src
  espresso add resource order-item --field name --field quantity:integer:default=1 --field status:enum(open|paid)
  espresso add resource customer --field email:email:unique --dry-run
  espresso remove resource order-item
  espresso list middleware
  espresso add middleware request-timeout
  espresso add middleware auth-jwt --protect order-item
  espresso list deployments
  espresso add deployment kubernetes --ingress gateway
  espresso add api-version v2              then: espresso add resource order --api v2 ...
  espresso deprecate api-version v1 --sunset 2027-06-30
  espresso config add PAYMENT_API_KEY --secret --required-in-production --description 'Key of the payment API'
  espresso sync --dry-run                  after editing config.schema.json by hand
  espresso recover                         settle a change that was killed half-way

Exit status: 0 success, 1 failure, 2 usage error (nothing was written).";

#[derive(Debug, Parser)]
#[command(
    name = "espresso",
    version,
    about = "Scaffold production-grade Express.js microservices",
    long_about = "espresso writes complete Express 5 services from templates built into the binary: \
                  application code, tests, config schema, Dockerfile, compose files, Kubernetes \
                  manifests and CI pipelines.",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// Run as if espresso was started in <DIR>
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    /// When to use colour (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Print only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new service in ./<NAME> (or --dir)
    #[command(after_help = EXAMPLES)]
    New(NewArgs),
    /// Add to the project in the current directory (or -C)
    #[command(subcommand)]
    Add(AddCommand),
    /// Undo an `add` exactly; files you changed are reported and kept (unless --force)
    #[command(subcommand)]
    Remove(RemoveCommand),
    /// List what can be added
    #[command(subcommand)]
    List(ListCommand),
    /// Edit config.schema.json, the one source of every environment variable
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Mark part of the service deprecated
    #[command(subcommand)]
    Deprecate(DeprecateCommand),
    /// Re-render every file derived from config.schema.json and espresso.toml after hand edits
    Sync(ChangeFlags),
    /// Complete or roll back a change that was interrupted (killed, crashed, power lost); every
    /// command that changes the project does this first anyway
    Recover(RecoverArgs),
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// Also put back files changed since the interruption (espresso's previous version wins)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// Middleware kinds, in chain order, marked when the project has them
    Middleware,
    /// Deployment targets, marked when the project has them
    Deployments,
}

#[derive(Debug, Args)]
pub struct DeploymentArgs {
    /// Deployment target (see `espresso list deployments`)
    pub target: String,
    /// With `kubernetes` or `helm`: route with an Ingress (TLS) or a Gateway API HTTPRoute [default: ingress]
    #[arg(long, value_enum)]
    pub ingress: Option<Ingress>,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Declare an environment variable in config.schema.json and re-render every derived file
    Add(ConfigAddArgs),
    /// Remove a variable added with `espresso config add` (or by hand)
    Remove(ConfigRemoveArgs),
}

/// Types a configuration variable can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigType {
    String,
    Integer,
    Number,
    Boolean,
}

#[derive(Debug, Args)]
pub struct ConfigAddArgs {
    /// Variable name, SHOUTY_SNAKE_CASE (e.g. PAYMENT_API_URL)
    pub name: String,
    /// Its type; the service coerces the environment's text to it
    #[arg(long = "type", value_enum, default_value_t = ConfigType::String)]
    pub kind: ConfigType,
    /// Value when the variable is unset
    #[arg(long)]
    pub default: Option<String>,
    /// Never committed: Kubernetes Secret, secret files, SSM in ECS; no default allowed
    #[arg(long)]
    pub secret: bool,
    /// The service refuses to start in production without it
    #[arg(long)]
    pub required_in_production: bool,
    /// What the variable is for (shown in .env.example and the README)
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct ConfigRemoveArgs {
    /// Name of the variable
    pub name: String,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct MiddlewareArgs {
    /// Middleware kind (see `espresso list middleware`)
    pub kind: String,
    /// With `auth-jwt`: a resource to protect (repeat for several)
    #[arg(long = "protect", value_name = "RESOURCE")]
    pub protect: Vec<String>,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Subcommand)]
pub enum AddCommand {
    /// A REST resource: router, controller, service, repository, validation, tests, OpenAPI
    #[command(after_help = FIELD_HELP)]
    Resource(AddResourceArgs),
    /// Fields of an existing resource; in a PostgreSQL project a new migration adds the columns
    #[command(after_help = ADD_FIELD_HELP)]
    Field(AddFieldArgs),
    /// Optional middleware at its place in the chain, with its configuration and tests
    Middleware(MiddlewareArgs),
    /// Deployment files for a target (see `espresso list deployments`)
    Deployment(DeploymentArgs),
    /// A version of the API, mounted at /api/<version> beside the others
    #[command(name = "api-version")]
    ApiVersion(ApiVersionArgs),
    /// A service behind an API gateway (`--preset api-gateway`): a path prefix passed to it unchanged
    Upstream(AddUpstreamArgs),
    /// A message broker (one per project): publish events and consume them, at least once, idempotently
    Messaging(MessagingArgs),
    /// A handler for one event type, registered in the consumer runner, with its test
    Consumer(ConsumerArgs),
    /// Events for an existing resource: its writes publish `<resource>.created|updated|deleted`
    Events(EventsArgs),
}

#[derive(Debug, Subcommand)]
pub enum RemoveCommand {
    /// A resource added with `espresso add resource`
    Resource(RemoveResourceArgs),
    /// Fields of a resource; in a PostgreSQL project a new migration drops the columns
    Field(RemoveFieldArgs),
    /// Middleware added with `espresso add middleware`
    Middleware(MiddlewareArgs),
    /// A deployment target's files
    Deployment(DeploymentArgs),
    /// A version of the API that no resource is in
    #[command(name = "api-version")]
    ApiVersion(ApiVersionArgs),
    /// A service behind the API gateway, added with `espresso add upstream`
    Upstream(RemoveUpstreamArgs),
    /// The message broker, once no consumer or resource's events need it
    Messaging(RemoveMessagingArgs),
    /// A handler added with `espresso add consumer`
    Consumer(ConsumerArgs),
    /// A resource's events, added with `--events` or `espresso add events`
    Events(EventsArgs),
}

/// The message brokers `espresso add messaging` can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Broker {
    /// Redis Streams with consumer groups, on the project's Redis (`--cache redis`)
    Redis,
    /// RabbitMQ, over AMQP 0-9-1 (amqplib): a topic exchange and a quorum queue per service
    Rabbitmq,
}

impl Broker {
    pub const ALL: [Broker; 2] = [Self::Redis, Self::Rabbitmq];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::Rabbitmq => "rabbitmq",
        }
    }
}

#[derive(Debug, Args)]
pub struct MessagingArgs {
    /// The broker: `redis` (Streams, needs the project's Redis) or `rabbitmq`
    #[arg(value_enum)]
    pub broker: Broker,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct RemoveMessagingArgs {
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct ConsumerArgs {
    /// The event type it handles, as producers name it: `order.created`
    pub event_type: String,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The resource whose writes publish events
    pub resource: String,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct AddUpstreamArgs {
    /// The service's name, as its DNS name: `users` is reached at USERS_URL (http://users in Kubernetes)
    pub name: String,
    /// The path prefix routed to it, passed through unchanged [default: /api/v1/<plural of name>]
    #[arg(long, value_name = "PREFIX")]
    pub path: Option<String>,
    /// Verify the caller's JWT at the gateway (needs `auth-jwt`) and pass on who it is
    #[arg(long)]
    pub protect: bool,
    /// How long the service may take to start answering, in milliseconds [default: 5000]
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(1..=300_000))]
    pub timeout_ms: Option<u32>,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct RemoveUpstreamArgs {
    /// The upstream's name
    pub name: String,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Subcommand)]
pub enum DeprecateCommand {
    /// Mark a version of the API deprecated: its answers carry the Deprecation and Sunset
    /// headers, and its operations are deprecated in the OpenAPI document
    #[command(name = "api-version")]
    ApiVersion(DeprecateArgs),
}

#[derive(Debug, Args)]
pub struct ApiVersionArgs {
    /// The version: `v` and a number, such as `v2`
    #[arg(value_name = "VERSION")]
    pub name: String,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct DeprecateArgs {
    /// The version to deprecate, such as `v1`
    #[arg(value_name = "VERSION")]
    pub name: String,
    /// The day after which it may stop answering (YYYY-MM-DD), sent as the Sunset header
    #[arg(long, value_name = "DATE")]
    pub sunset: Option<String>,
    /// The day it is deprecated from (YYYY-MM-DD); today (UTC) unless given
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Take the deprecation back: the version is current again, its answers and operations as before
    #[arg(long, conflicts_with_all = ["sunset", "since"])]
    pub withdraw: bool,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

const FIELD_HELP: &str = "\
Fields: --field <name>[:<type>[:<modifier>...]], repeated.
  types      string (default), text, integer, number, decimal or decimal(p,s), boolean, date,
             datetime, uuid, email, url, json, enum(a|b|c),
             ref(<resource>[, restrict|cascade|set-null]): the id of another resource's item
             (`customer:ref(customer)` is the field customerId; quote it for the shell)
  modifiers  optional (may be null; fields are required otherwise), unique, indexed (a
             PostgreSQL index for list filters and sorts), default=<value> (default= goes last
             and takes the rest, colons included)
  refused    unique boolean, json or text; defaults on datetime, json and ref; a default the type
             rejects; set-null on a required ref; a ref to a missing resource or to its own

Example:
  espresso add resource order-item --field title --field quantity:integer:default=1 \\
      --field status:enum(open|paid|void) --field note:text:optional --field sku:string:unique
  espresso add resource review --field rating:integer --field 'customer:ref(customer)' \\
      --field 'editor:ref(customer, set-null):optional'";

const ADD_FIELD_HELP: &str = "\
Fields use the grammar of `add resource --field` (see `espresso add resource --help`).
In a PostgreSQL project the table may already hold rows, so a new field is optional or has a
default, and a unique one is optional without a default. Migrations are history: every change
writes a new one, and none that may have run is rewritten or deleted.

Example:
  espresso add field order total:number:default=0 note:text:optional
  espresso add field order 'buyer:ref(customer, set-null):optional'";

/// Flags shared by every command that changes a project.
#[derive(Debug, Args)]
pub struct ChangeFlags {
    /// Print the unified diff of every change, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite files you changed since espresso wrote them
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct AddResourceArgs {
    /// Resource name, a noun: `order-item` gives OrderItem, orderItems, /order-items, order_items
    pub name: String,
    /// A field: name[:type[:modifier...]] (see below); at least one
    #[arg(long = "field", value_name = "FIELD")]
    pub fields: Vec<String>,
    /// Put the resource behind `auth-jwt` (the project must have it)
    #[arg(long)]
    pub protect: bool,
    /// The API version to serve it in (`espresso add api-version`); the newest unless given
    #[arg(long, value_name = "VERSION")]
    pub api: Option<String>,
    /// Publish `<resource>.created|updated|deleted` on every write (needs `espresso add messaging`)
    #[arg(long)]
    pub events: bool,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct AddFieldArgs {
    /// The resource to change
    pub resource: String,
    /// Fields to add: name[:type[:modifier...]], as `add resource --field` takes them
    #[arg(required = true, value_name = "FIELD")]
    pub fields: Vec<String>,
    /// The API version the resource is in (checked: a resource lives in one version)
    #[arg(long, value_name = "VERSION")]
    pub api: Option<String>,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct RemoveFieldArgs {
    /// The resource to change
    pub resource: String,
    /// Names of the fields to remove
    #[arg(required = true, value_name = "FIELD")]
    pub fields: Vec<String>,
    /// The API version the resource is in (checked: a resource lives in one version)
    #[arg(long, value_name = "VERSION")]
    pub api: Option<String>,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct RemoveResourceArgs {
    /// Name of the resource to remove
    pub name: String,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Service name: lowercase letters, digits and hyphens (npm package and Kubernetes name)
    pub name: String,

    /// Where to create the service [default: ./<NAME>]
    #[arg(long, value_name = "PATH")]
    pub dir: Option<PathBuf>,

    /// Language of the service's code [default: typescript]
    #[arg(long, visible_alias = "lang", value_enum, value_name = "LANGUAGE")]
    pub language: Option<Language>,

    /// What kind of service to make [default: service]
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,

    /// Database the service uses
    #[arg(long, value_enum)]
    pub database: Option<Database>,

    /// Cache the service uses
    #[arg(long, value_enum)]
    pub cache: Option<Cache>,

    /// Deployment files, comma-separated [default: docker,compose,kubernetes]
    #[arg(long, value_enum, value_delimiter = ',', value_name = "TARGETS")]
    pub deploy: Option<Vec<DeployArg>>,

    /// CI pipelines, comma-separated [default: github]
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PIPELINES")]
    pub ci: Option<Vec<CiArg>>,

    /// Node.js major version for the image, CI and engines field [default: 24]
    #[arg(long, value_enum)]
    pub node: Option<NodeVersion>,

    /// Kubernetes and Helm routing: an Ingress with TLS, or a Gateway API HTTPRoute [default: ingress]
    #[arg(long, value_enum)]
    pub ingress: Option<Ingress>,

    /// Accept the defaults for everything not given as a flag; never prompt
    #[arg(short, long)]
    pub yes: bool,

    /// Print the files that would be written, write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Write into a non-empty directory, replacing files espresso generates
    #[arg(long)]
    pub force: bool,
}

/// The language of the generated code; the deployment and CI files are the same for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Language {
    /// ESM JavaScript with JSDoc types
    #[value(alias = "js")]
    Javascript,
    /// TypeScript that Node runs directly (type stripping), type-checked by tsc
    #[value(alias = "ts")]
    Typescript,
}

impl Language {
    /// What `espresso new` makes when `--language` is not given (and the prompt's default).
    pub const DEFAULT: Self = Self::Typescript;

    /// The template set's name, as `espresso.toml` records it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Javascript => "javascript",
            Self::Typescript => "typescript",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Database {
    None,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Cache {
    None,
    Redis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeployArg {
    Docker,
    Compose,
    Kubernetes,
    Monitoring,
    Nginx,
    Pm2,
    Helm,
    Ecs,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiArg {
    Github,
    Gitlab,
    None,
}

/// What kind of service `espresso new` makes; every kind takes resources, middleware and targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Preset {
    /// A service of resources (the default)
    #[default]
    Service,
    /// An authentication service: register, log in, refresh and log out, tokens signed with
    /// EdDSA and published as a JWKS (needs --database postgres)
    AuthService,
    /// An API gateway: one entry point that streams requests to the services behind it
    /// (`espresso add upstream`), with deadlines, circuit breakers and retries
    ApiGateway,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::Service, Preset::AuthService, Preset::ApiGateway];

    /// As recorded in espresso.toml and written on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::AuthService => "auth-service",
            Self::ApiGateway => "api-gateway",
        }
    }
}

/// How Kubernetes routes traffic to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Ingress {
    /// networking.k8s.io/v1 Ingress with TLS
    #[default]
    Ingress,
    /// Gateway API HTTPRoute attached to the platform's Gateway
    Gateway,
    /// No public route: reached inside the cluster only, as a service behind an API gateway
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NodeVersion {
    #[value(name = "24")]
    V24,
    #[value(name = "26")]
    V26,
}
