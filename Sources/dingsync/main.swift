import DingSync
