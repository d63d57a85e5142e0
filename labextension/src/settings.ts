/** The plugin's settings as plain data, with a signal when the user changes them. */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

import { DEFAULT_SETTINGS, ISettings } from './types';

export class CoachSettings {
  private _current: ISettings = { ...DEFAULT_SETTINGS };
  private _changed = new Signal<this, ISettings>(this);
  private _registry: ISettingRegistry.ISettings | null = null;

  get current(): ISettings {
    return this._current;
  }

  get changed(): ISignal<this, ISettings> {
    return this._changed;
  }

  /** Follow the settings registry's values for the plugin. */
  connect(settings: ISettingRegistry.ISettings): void {
    this._registry = settings;
    const read = () => this.update(read_settings(settings.composite));
    settings.changed.connect(read);
    read();
  }

  /** Set values (from the registry, or in tests). */
  update(next: Partial<ISettings>): void {
    this._current = { ...this._current, ...next };
    this._changed.emit(this._current);
  }

  /** Switch one rule on or off, persisting it in the settings registry when connected. */
  async setRuleEnabled(code: string, enabled: boolean): Promise<void> {
    const ignored = new Set(this._current.ignoredRules);
    if (enabled) {
      ignored.delete(code);
    } else {
      ignored.add(code);
    }
    const list = [...ignored].sort();
    if (this._registry) {
      await this._registry.set('ignoredRules', list);
    } else {
      this.update({ ignoredRules: list });
    }
  }
}

function read_settings(composite: unknown): Partial<ISettings> {
  const out: Partial<ISettings> = {};
  if (composite === null || typeof composite !== 'object') {
    return out;
  }
  const c = composite as { [key: string]: unknown };
  if (typeof c.lintAsYouType === 'boolean') {
    out.lintAsYouType = c.lintAsYouType;
  }
  if (Array.isArray(c.ignoredRules)) {
    out.ignoredRules = c.ignoredRules.filter((x): x is string => typeof x === 'string');
  }
  if (typeof c.debounceMs === 'number' && c.debounceMs >= 0) {
    out.debounceMs = c.debounceMs;
  }
  return out;
}
