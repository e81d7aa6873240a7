//! A map of values by their type, shared by clones: how the engine keeps what families and
//! lookups own (a family's settings and caches, a lookup's memo) without the engine naming any
//! of them. A value not put in is made with its `Default` on first use.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Values by type, one of each type, shared by every clone of the map.
#[derive(Clone, Default)]
pub struct TypeMap(Arc<Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>>);

impl TypeMap {
    /// The value of type `T`, made with its `Default` when none was put in.
    pub fn get<T: Any + Default + Send + Sync>(&self) -> Arc<T> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let value = map
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()))
            .clone();
        // The entry of `TypeId::of::<T>()` only ever holds a `T`.
        value
            .downcast::<T>()
            .unwrap_or_else(|_| Arc::new(T::default()))
    }

    /// Puts `value` in, in place of the value of its type.
    pub fn put<T: Any + Send + Sync>(&self, value: T) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.insert(TypeId::of::<T>(), Arc::new(value));
    }
}

impl std::fmt::Debug for TypeMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        write!(f, "TypeMap({} values)", map.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug, PartialEq)]
    struct Counted(u32);

    #[test]
    fn a_value_is_made_once_and_shared_by_clones() {
        let map = TypeMap::default();
        assert_eq!(*map.get::<Counted>(), Counted(0));
        map.clone().put(Counted(7));
        assert_eq!(*map.get::<Counted>(), Counted(7));
        assert_eq!(*TypeMap::default().get::<Counted>(), Counted(0));
    }
}
