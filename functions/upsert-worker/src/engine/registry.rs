//! The worker's side of the command registry (`b2b_commands::with_command_registry!`): from the
//! one list of command types, the handler of each command and the list of families whose
//! settings are read at cold start. A command type without an [`Apply`] in some family module
//! does not compile.

use std::any::TypeId;
use std::collections::HashSet;

use b2b_commands::Action;
use b2b_shared::env::Env;

use super::family::{Apply, Family, Handler};
use super::type_map::TypeMap;

/// Generates [`handler`] and [`load_families`] from the registry.
macro_rules! worker_registry {
    ($( $(#[$doc:meta])* $name:literal => $variant:ident($command:ty), )+) => {
        /// The handler of `action`'s command type (its [`Apply`], in its family's module).
        pub fn handler(action: &Action) -> &dyn Handler {
            match action {
                $( Action::$variant(command) => command, )+
            }
        }

        /// Reads the settings of every family that applies a command type, once each, in
        /// registry order, and keeps them in `kept`; each problem is recorded in `env`.
        pub fn load_families(env: &mut Env<'_>, kept: &TypeMap) {
            let mut loaded = HashSet::new();
            $( load::<<$command as Apply>::Family>(env, kept, &mut loaded); )+
        }
    };
}

b2b_commands::with_command_registry!(worker_registry);

/// Reads family `F`'s settings into `kept` unless they were read already.
fn load<F: Family>(env: &mut Env<'_>, kept: &TypeMap, loaded: &mut HashSet<TypeId>) {
    if loaded.insert(TypeId::of::<F>()) {
        kept.put(F::load(env));
    }
}
