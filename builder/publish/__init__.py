"""Publishing built layers: account state -> plan -> apply -> render, over accounts and regions."""
