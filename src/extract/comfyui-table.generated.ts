import type { TableClass, TableEnum, TableJson } from './comfyui.js';

export const COMFYUI_RELEASE = 'none';
export const COMFYUI_COMMIT = '';
export const COMFYUI_VALUES: Record<string, TableJson> = {};
export const COMFYUI_ENUMS: Record<string, TableEnum> = {};
export const COMFYUI_CLASSES: Record<string, TableClass> = {};
export const COMFYUI_ALIASES: Record<string, string> = {};
